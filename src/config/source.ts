// YAML text -> plain data, YAML syntax issues, and a locator from key paths back to line:col in the file.

import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
} from 'yaml';
import type { ConfigIssue } from '../errors.js';

/** A key path inside the config: mapping keys and sequence indexes. */
export type Segment = string | number;

/** `['parameters', 'alpha', 'uniform', 1]` -> `parameters.alpha.uniform[1]`; odd keys are quoted: `env["A B"]`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (!/^[A-Za-z0-9_-]+$/.test(s)) out += `[${JSON.stringify(s)}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

export interface Position {
  line: number;
  col: number;
}

export interface ConfigSource {
  file: string;
  /** The document as plain data; undefined when the text could not be parsed into a mapping. */
  data: Record<string, unknown> | undefined;
  /** Syntax problems, an empty document or a non-mapping root. */
  issues: ConfigIssue[];
  /** Where the value at `path` is written (its key with `key`), else its nearest written ancestor. */
  locate(path: readonly Segment[], opts?: { key?: boolean }): Position;
  /** An issue located at `path`. */
  issue(path: readonly Segment[], message: string, opts?: { key?: boolean }): ConfigIssue;
}

const START: Position = { line: 1, col: 1 };

export function parseConfigSource(text: string, file: string): ConfigSource {
  const lc = new LineCounter();
  // logLevel error: yaml's warnings (a collection as a key) would be printed to the user's terminal; such keys are issues here
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, merge: true, logLevel: 'error' });
  const pos = (offset: number): Position => {
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };

  const locate = (path: readonly Segment[], opts: { key?: boolean } = {}): Position => {
    let node: unknown = doc.contents;
    let found: Position = node && (node as Node).range ? pos((node as Node).range![0]) : START;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isAlias(node)) node = node.resolve(doc);
      let next: unknown;
      let keyNode: Node | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        keyNode = pair.key as Node;
        next = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        next = node.items[seg];
        if (next === undefined) break;
      } else break;
      const last = i === path.length - 1;
      const valueRange = (next as Node | null)?.range;
      // An empty value (`key:` and nothing) has a zero-width range at the end of the line: show the key.
      const empty = !valueRange || valueRange[0] === valueRange[2];
      if (keyNode?.range && ((last && opts.key) || empty)) found = pos(keyNode.range[0]);
      else if (valueRange) found = pos(valueRange[0]);
      node = next;
    }
    return found;
  };

  const issue = (path: readonly Segment[], message: string, opts: { key?: boolean } = {}): ConfigIssue => ({
    file,
    ...locate(path, opts),
    path: formatPath(path),
    message,
  });

  const source: ConfigSource = { file, data: undefined, issues: [], locate, issue };
  const located = (at: Found, message: string): ConfigSource => {
    source.issues.push({ file, ...pos(at.offset), path: formatPath(at.path), message });
    return source;
  };

  if (doc.errors.length > 0) {
    const seen = new Set<string>();
    for (const err of doc.errors) {
      const at = pos(err.pos[0]);
      const where = `${at.line}:${at.col}`;
      if (seen.has(where)) continue; // one YAML mistake often yields several errors at one spot
      seen.add(where);
      // only a duplicate key sits at a meaningful key path; other syntax errors are often reported
      // a line after the mistake, where the path would mislead
      const path = err.code === 'DUPLICATE_KEY' ? pathAt(doc, err.pos[0]) : [];
      source.issues.push({ file, ...at, path: formatPath(path), message: syntaxMessage(err, path) });
    }
    return source;
  }

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    source.issues.push({
      file,
      ...START,
      path: '',
      message: 'the config is empty; it needs at least name, command, parameters and sampling (see docs/config.md)',
    });
    return source;
  }
  if (!isMap(doc.contents)) {
    const found = isSeq(doc.contents) ? 'a list' : 'a single value';
    source.issues.push({
      file,
      ...START,
      path: '',
      message: `the top level must be a mapping of keys (name: ..., command: ...), found ${found}`,
    });
    return source;
  }

  const oddKey = nonScalarKey(doc);
  if (oddKey) return located(oddKey, `a key must be a name (text or a number), found ${oddKey.what}; write the key as plain text`);

  try {
    source.data = doc.toJS() as Record<string, unknown>;
  } catch (e) {
    // what toJS refuses, located: an alias to nothing, a merge of a non-mapping, aliases that expand without end
    const alias = unresolvedAlias(doc);
    if (alias) return located(alias, `alias *${alias.what} refers to no anchor &${alias.what} defined before it; define the anchor first or write the value out`);
    const merge = badMerge(doc);
    if (merge) return located(merge, `a merge key << takes a mapping or an alias of one (<<: *base), found ${merge.what}`);
    const first = firstAlias(doc);
    const why = /resource exhaustion/.test((e as Error).message)
      ? 'the aliases expand to too much data (an alias of an alias of ..., the "billion laughs"); write the values out'
      : `cannot expand the YAML aliases (${(e as Error).message}); write the values out`;
    if (first) return located(first, why);
    source.issues.push({ file, ...START, path: '', message: why });
  }
  return source;
}

/** The key path of the deepest node whose text covers `offset` (for syntax errors). */
function pathAt(doc: Document, offset: number): Segment[] {
  const path: Segment[] = [];
  let node: unknown = doc.contents;
  const covers = (n: unknown) => {
    const r = (n as Node | null)?.range;
    return !!r && r[0] <= offset && offset < Math.max(r[1], r[0] + 1);
  };
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => covers(p.key) || covers(p.value));
      if (!pair || !isScalar(pair.key)) break;
      path.push(String(pair.key.value));
      if (covers(pair.key)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex(covers);
      if (i < 0) break;
      path.push(i);
      node = node.items[i];
    } else break;
  }
  return path;
}

function syntaxMessage(err: YAMLError, path: Segment[]): string {
  switch (err.code) {
    case 'DUPLICATE_KEY': {
      const key = path[path.length - 1];
      return `duplicate key${key === undefined ? '' : ` '${key}'`}; a key may appear only once in a mapping — remove or merge the repeated one`;
    }
    case 'TAB_AS_INDENT':
      return 'a tab is used for indentation; YAML allows only spaces — replace the tab with spaces';
    case 'MULTIPLE_DOCS':
      return "the file holds more than one YAML document ('---'); a config is a single document";
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'YAML syntax: a value cannot itself be `key: value` on the same line; quote the value, or put the nested mapping on its own indented lines';
    default: {
      const text = err.message.replace(/\.$/, '');
      return `YAML syntax: ${text.charAt(0).toLowerCase()}${text.slice(1)}; look for an unclosed bracket or quote, or a mis-indented line, here or just above`;
    }
  }
}

/** The key path of `node`, visited below `ancestors`. */
function visitedPath(ancestors: readonly unknown[], node: unknown): Segment[] {
  const path: Segment[] = [];
  for (let i = 0; i < ancestors.length; i++) {
    const a = ancestors[i];
    if (isPair(a) && isScalar(a.key)) path.push(String(a.key.value));
    else if (isSeq(a)) {
      const child = ancestors[i + 1] ?? node;
      path.push(a.items.indexOf(child as never));
    }
  }
  return path;
}

/** A node found by {@link findNode}: what it is, where, and its key path. */
interface Found {
  what: string;
  offset: number;
  path: Segment[];
}

/** The first alias or pair (in document order) that `test` names, with where it is. */
function findNode(doc: Document, kind: 'Alias' | 'Pair', test: (node: Node | Pair) => string | undefined): Found | undefined {
  let found: Found | undefined;
  const at = (node: Node | Pair, ancestors: readonly unknown[]) => {
    const what = test(node);
    if (what === undefined) return undefined;
    const range = isPair(node) ? (node.key as Node | null)?.range : node.range;
    found = { what, offset: range?.[0] ?? 0, path: visitedPath(ancestors, node) };
    return visit.BREAK;
  };
  visit(doc, kind === 'Alias' ? { Alias: (_k, node, ancestors) => at(node, ancestors) } : { Pair: (_k, node, ancestors) => at(node as Pair, ancestors) });
  return found;
}

const unresolvedAlias = (doc: Document) => findNode(doc, 'Alias', (a) => (isAlias(a) && a.resolve(doc) === undefined ? a.source : undefined));

const firstAlias = (doc: Document) => findNode(doc, 'Alias', (a) => (isAlias(a) ? a.source : undefined));

/** A value as an issue names it. */
const kindOf = (v: unknown): string => (isSeq(v) ? 'a list' : isMap(v) ? 'a mapping' : isScalar(v) && v.value !== null ? `the value ${JSON.stringify(String(v.value))}` : 'nothing');

/** The first merge key `<<` whose value is not a mapping, an alias of one, or a list of those. */
const badMerge = (doc: Document) =>
  findNode(doc, 'Pair', (p) => {
    if (!isPair(p) || !isScalar(p.key) || typeof p.key.value !== 'symbol') return undefined;
    const mapping = (v: unknown) => isMap(isAlias(v) ? v.resolve(doc) : v);
    const bad = isSeq(p.value) ? p.value.items.find((v) => !mapping(v)) : mapping(p.value) ? undefined : p.value;
    return bad === undefined ? undefined : kindOf(isAlias(bad) ? bad.resolve(doc) : bad);
  });

/** The first mapping key that is not text, a number, true/false or empty: a list, a mapping, binary data (`? [a, b]`, `!!binary`), directly or by an alias. */
const nonScalarKey = (doc: Document) =>
  findNode(doc, 'Pair', (p) => {
    if (!isPair(p)) return undefined;
    // an alias key stands for its anchor's value; a merge key `<<` holds a symbol
    const v: unknown = isAlias(p.key) ? p.key.resolve(doc) : p.key;
    const plain = v === null || v === undefined || (isScalar(v) && (v.value === null || ['string', 'number', 'boolean', 'symbol'].includes(typeof v.value)));
    return plain ? undefined : isSeq(v) || isMap(v) ? kindOf(v) : 'binary or tagged data';
  });
