// The config's JSON Schema (configs/arrayflow.schema.json): loading it, compiling it with ajv (ahead of time by the build), and rewriting ajv errors as located, plain-sentence issues.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv, ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import type { ConfigIssue } from '../errors.js';
import { formatPath, type ConfigSource, type Segment } from './source.js';
import { didYouMean, editDistance } from './suggest.js';

// src/config/ and dist/config/ both sit two levels below the package root, next to configs/.
const SCHEMA_URL = new URL('../../configs/arrayflow.schema.json', import.meta.url);
/**
 * The validator compiled ahead of time (`npm run build` writes it; not in git): ajv's compile costs ~0.12 s of CPU in
 * every process that checks a config, loading the compiled code ~15 ms. Used only when it was made from this schema.
 */
export const COMPILED_VALIDATOR_PATH = fileURLToPath(new URL('../../configs/arrayflow.schema.validate.cjs', import.meta.url));

type Compiled = { schema: SchemaObject; validate: ValidateFunction };
let compiled: Compiled | undefined;

const require = createRequire(import.meta.url);

/** ajv, loaded only when a schema must be compiled (not in a process that has the ahead-of-time validator). */
function newAjv(source: boolean): Ajv {
  const { Ajv } = require('ajv') as typeof import('ajv');
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    logger: false,
    code: { source },
  });
  // Message annotations understood by editors (vscode-json-languageservice, yaml-language-server) and by us.
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  return ajv;
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

/** The ahead-of-time validator if it exists and was compiled from `text`, else undefined. */
function loadCompiled(text: string): ValidateFunction | undefined {
  try {
    const mod = require(COMPILED_VALIDATOR_PATH) as ValidateFunction & { schemaHash?: string };
    return mod.schemaHash === hashOf(text) ? mod : undefined;
  } catch {
    return undefined;
  }
}

function compile(): Compiled {
  if (!compiled) {
    const text = readFileSync(SCHEMA_URL, 'utf8');
    const schema = JSON.parse(text) as SchemaObject;
    compiled = { schema, validate: loadCompiled(text) ?? compileValidator(schema) };
  }
  return compiled;
}

/** Compiles the validator in this process (what a process without the ahead-of-time one does). */
export function compileValidator(schema: SchemaObject): ValidateFunction {
  return newAjv(false).compile(schema);
}

/** Writes the ahead-of-time validator (ajv standalone code) next to the schema; run by `npm run build`. */
export function writeCompiledValidator(): string {
  const text = readFileSync(SCHEMA_URL, 'utf8');
  const ajv = newAjv(true);
  const { default: standaloneCode } = require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js');
  const code = standaloneCode(ajv, ajv.compile(JSON.parse(text) as SchemaObject));
  writeFileSync(COMPILED_VALIDATOR_PATH, `${code}\nmodule.exports.schemaHash = ${JSON.stringify(hashOf(text))};\n`);
  return COMPILED_VALIDATOR_PATH;
}

/** The parsed JSON Schema of the config file (read once, on first use). */
export function configSchema(): SchemaObject {
  return compile().schema;
}

/**
 * Validate plain config data against the schema and return one issue per problem, located in the
 * YAML source. `skip(path)` drops schema issues at paths a more specific rule already reports.
 */
export function validateSchema(
  data: unknown,
  src: ConfigSource,
  skip: (path: string) => boolean = () => false,
): ConfigIssue[] {
  const { validate } = compile();
  if (validate(data)) return [];
  const errors = (validate.errors ?? []).filter(
    (e) =>
      e.keyword !== 'if' && // its branch's own errors say more
      e.keyword !== 'propertyNames' && // likewise: the nested error names the key
      !/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath), // one summary per oneOf, not one per branch
  );
  const unknownKeys = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const list = unknownKeys.get(e.instancePath) ?? [];
    list.push(String(e.params.additionalProperty));
    unknownKeys.set(e.instancePath, list);
  }
  const issues: ConfigIssue[] = [];
  for (const e of errors) {
    const issue = toIssue(e, data, src, unknownKeys.get(e.instancePath) ?? []);
    if (issue && !skip(issue.path)) issues.push(issue);
  }
  return issues;
}

function toIssue(e: ErrorObject, root: unknown, src: ConfigSource, unknownHere: string[]): ConfigIssue | undefined {
  const at = pointerToPath(e.instancePath, root);
  const ps = (e.parentSchema ?? {}) as SchemaObject;
  const hint = typeof ps.errorMessage === 'string' ? `; ${ps.errorMessage}` : '';
  const data: unknown = e.data;

  if (e.propertyName !== undefined) {
    // a nested propertyNames error: the offending thing is the key itself
    const name = e.propertyName;
    const where = [...at, name];
    const msg =
      e.keyword === 'pattern'
        ? `name '${name}' is not valid; ${ps.patternErrorMessage ?? `it must match ${ps.pattern}`}`
        : `name '${name}' cannot be used${hint ? `: ${ps.errorMessage}` : ''}`;
    return src.issue(where, msg, { key: true });
  }

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const valid = Object.keys((ps.properties ?? {}) as object);
      return src.issue(
        [...at, key],
        `unknown key '${key}'; valid keys here: ${valid.join(', ')}${didYouMean(key, valid)}`,
        { key: true },
      );
    }
    case 'required': {
      const missing = String(e.params.missingProperty);
      // a misspelt key already gets "unknown key …; did you mean '<missing>'?": one issue is enough
      if (unknownHere.some((k) => editDistance(k, missing) <= 2)) return undefined;
      // a top-level key required by an if/then (no `stages`: command, parameters, sampling) is described at the root
      const described = (ps.properties ?? (at.length === 0 ? configSchema().properties : undefined)) as Record<string, SchemaObject> | undefined;
      const desc = described?.[missing]?.description;
      const what = typeof desc === 'string' ? ` — ${lowerFirst(firstSentence(desc))}` : '';
      return {
        file: src.file,
        ...src.locate(at, { key: true }),
        path: formatPath([...at, missing]),
        message: `missing required key '${missing}'; add it${what}`,
      };
    }
    case 'type': {
      const expected = ([] as string[]).concat(ps.type as string | string[]).map(typeName);
      return src.issue(at, `expected ${orList(expected)}, found ${describe(data)}${hint}`);
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const dym = typeof data === 'string' ? didYouMean(data, allowed) : '';
      return src.issue(at, `${describe(data)} is not one of ${allowed.join(', ')}${hint}${dym}`);
    }
    case 'pattern':
      return src.issue(
        at,
        `${describe(data)} is not valid; ${ps.patternErrorMessage ?? `it must match the pattern ${ps.pattern}`}`,
      );
    case 'minimum':
    case 'exclusiveMinimum': {
      const op = e.keyword === 'minimum' ? 'at least' : 'greater than';
      return src.issue(at, `must be ${op} ${e.params.limit as number}, found ${describe(data)}${hint}`);
    }
    case 'maximum':
    case 'exclusiveMaximum': {
      const op = e.keyword === 'maximum' ? 'at most' : 'less than';
      return src.issue(at, `must be ${op} ${e.params.limit as number}, found ${describe(data)}${hint}`);
    }
    case 'minItems':
    case 'maxItems': {
      const n = Array.isArray(data) ? data.length : 0;
      const found = n === 0 ? 'an empty list' : `${n} item${n === 1 ? '' : 's'}`;
      const need =
        ps.minItems !== undefined && ps.minItems === ps.maxItems
          ? `exactly ${ps.minItems as number}`
          : e.keyword === 'minItems'
            ? `at least ${e.params.limit as number}`
            : `at most ${e.params.limit as number}`;
      return src.issue(at, `needs ${need} item${e.params.limit === 1 ? '' : 's'}, found ${found}${hint}`);
    }
    case 'uniqueItems': {
      // ajv: items i and j (j < i) are equal
      const { i, j } = e.params as { i: number; j: number };
      return src.issue(at, `lists ${describe((data as unknown[])[i])} twice (items ${j + 1} and ${i + 1}); list each once`);
    }
    case 'minLength':
      return src.issue(at, `must not be empty${hint}`);
    case 'minProperties':
      return src.issue(at, `needs at least ${e.params.limit as number} entry, found none${hint}`);
    case 'oneOf': {
      const choices = ((ps.oneOf ?? []) as SchemaObject[]).flatMap((s) => (s.required ?? []) as string[]);
      const present = isObject(data) ? choices.filter((k) => k in data) : [];
      if (present.length === 0) {
        if (unknownHere.length > 0) return undefined; // the unknown-key issue explains it
        return src.issue(at, `needs one of ${orList(choices.map((k) => `'${k}'`))}, e.g. {uniform: [0, 1]}`);
      }
      return src.issue(
        at,
        `has both ${present.map((k) => `'${k}'`).join(' and ')}; give exactly one of ${choices.join(', ')}`,
      );
    }
    default:
      return src.issue(at, `${describe(data)} is not valid here (it breaks the schema's '${e.keyword}' rule)${hint}`);
  }
}

/** JSON pointer -> key path, turning segments that index an array into numbers. */
function pointerToPath(pointer: string, root: unknown): Segment[] {
  if (pointer === '') return [];
  const out: Segment[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const i = Number(seg);
      out.push(i);
      node = node[i];
    } else {
      out.push(seg);
      node = isObject(node) ? node[seg] : undefined;
    }
  }
  return out;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true/false',
  array: 'a list',
  object: 'a mapping',
  null: 'nothing',
};

function typeName(t: string): string {
  return TYPE_NAMES[t] ?? t;
}

/** A value as a message shows it: `the string "x"`, `the number 3`, `a list`, … */
function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (an empty value)';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return Number.isFinite(v) ? `the number ${v}` : `${v} (not a finite number)`;
  if (typeof v === 'boolean') return `${v}`;
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

function orList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function firstSentence(s: string): string {
  const re = /\.(\s|$)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (!/\b(e\.g|i\.e|etc)$/.test(s.slice(0, m.index))) return s.slice(0, m.index);
  }
  return s;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
