// Importing a results tree left by another tool (one JSON object or one-row CSV per run) into dataset.parquet + dataset.csv.
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Bool, Field, Float64, Int64, RecordBatch, Schema, Table, Utf8, vectorFromArray, type DataType, type Vector } from 'apache-arrow';
import { ArrayflowError, DataError } from '../errors.js';
import { csvValue, parseResult, type ResultValue } from '../node/result.js';
import { writeFileAtomic } from '../util/fs.js';
import { globToRegExp } from '../util/glob.js';
import { writeDataset } from './write-dataset.js';

/** A matched file that gave no row, and why. */
export interface ImportProblem {
  /** Relative to the imported directory, '/'-separated. */
  path: string;
  reason: string;
}

/** One good result file: its relative path, the `key=value` directory segments, and its flattened result. */
export interface ImportedRow {
  path: string;
  /** Raw text of each `key=value` segment (the deepest wins when a key repeats). */
  params: Record<string, string>;
  result: Record<string, ResultValue>;
}

export interface ImportOptions {
  /** Glob of the result files relative to the imported directory; without a '/' it matches the file name at any depth. */
  pattern: string;
  /** Where dataset.parquet, dataset.csv and import-errors.ndjson go (default: the imported directory). */
  outDir?: string;
  /** Reads and directory listings in flight at once (default 64). */
  concurrency?: number;
}

export interface ImportResult {
  /** Files that matched the pattern. */
  matched: number;
  /** Rows written: one per good file. */
  rows: number;
  /** Matched files (or unreadable directories) that gave no row, sorted by path. */
  problems: ImportProblem[];
  parquet: string;
  csv: string;
  /** import-errors.ndjson: one {path, reason} per problem (empty when there were none). */
  errors: string;
}

/** Name of the problem list written next to the dataset. */
export const IMPORT_ERRORS_FILE = 'import-errors.ndjson';
/** Schema metadata key holding the JSON list of columns that describe a run rather than its results. */
export const PARAMS_METADATA_KEY = 'arrayflow.params';

// Enough reads in flight to hide shared-filesystem latency; far below the usual 1024 open-file limit.
const DEFAULT_CONCURRENCY = 64;
const GLOB_CHARS = /[*?[]/;
const KEY_VALUE = /^([^=]+)=(.*)$/;

/** `key=value` directory segments of a relative path, as raw text; the file name itself is not one. */
export function parsePathParams(relPath: string): Record<string, string> {
  const segs = relPath.split('/');
  const out: Record<string, string> = {};
  for (let i = 0; i < segs.length - 1; i++) {
    const m = KEY_VALUE.exec(segs[i]);
    if (m !== null) out[m[1]] = m[2];
  }
  return out;
}

/** Parses one result file's text: `.csv` files as a one-row CSV, everything else as a JSON object (nested objects flattened). */
export function parseResultFile(relPath: string, text: string): { ok: true; result: Record<string, ResultValue> } | { ok: false; reason: string } {
  if (text.trim() === '') return { ok: false, reason: `bad result: ${relPath} is empty` };
  return parseResult(text, { file: relPath, format: /\.csv$/i.test(relPath) ? 'csv' : 'json' });
}

type Kind = 'int64' | 'float64' | 'bool' | 'utf8';

function inferKind(vals: readonly unknown[], allowInt: boolean): Kind {
  let nums = 0;
  let ints = 0;
  let bools = 0;
  let others = 0;
  for (const v of vals) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') {
      nums++;
      if (Number.isSafeInteger(v)) ints++;
    } else if (typeof v === 'boolean') bools++;
    else others++;
  }
  if (others === 0 && bools === 0 && nums > 0) return allowInt && ints === nums ? 'int64' : 'float64';
  if (others === 0 && nums === 0 && bools > 0) return 'bool';
  return 'utf8';
}

function vectorOf(kind: Kind, vals: readonly unknown[], text?: readonly (string | undefined)[]): Vector {
  const n = vals.length;
  const out: unknown[] = new Array(n);
  let type: DataType;
  if (kind === 'int64') {
    type = new Int64();
    for (let i = 0; i < n; i++) out[i] = typeof vals[i] === 'number' ? BigInt(vals[i] as number) : null;
  } else if (kind === 'float64' || kind === 'bool') {
    type = kind === 'bool' ? new Bool() : new Float64();
    for (let i = 0; i < n; i++) out[i] = vals[i] ?? null;
  } else {
    type = new Utf8();
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      // A parameter keeps the text of its path segment ("1.50", not 1.5) when its column is text.
      out[i] = v === null || v === undefined ? (text?.[i] ?? null) : text?.[i] ?? (typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  return vectorFromArray(out, type);
}

function freeName(name: string, prefix: string, taken: Set<string>): string {
  let out = name;
  while (taken.has(out)) out = prefix + out;
  return out;
}

/**
 * Builds the import table, one row per element of `rows` in the given order. Columns: `path` (utf8),
 * the `key=value` parameters in first-seen order (int64 when every value is an integer, float64 when
 * all are numbers, bool when all are true/false, else utf8 with the segment's text; a parameter named
 * `path` becomes `param_path`), then the result keys in first-seen order (float64 / bool / utf8 as in
 * the ensemble dataset; a key equal to an earlier column becomes `result_<key>`). The parameter
 * columns (with `path`) are listed in the schema metadata under {@link PARAMS_METADATA_KEY}. Pure.
 */
export function buildImportTable(rows: ImportedRow[]): Table {
  const n = rows.length;
  const fields: Field[] = [];
  const vectors: Vector[] = [];
  const add = (name: string, vec: Vector, nullable = true) => {
    fields.push(new Field(name, vec.type, nullable));
    vectors.push(vec);
  };
  add('path', vectorFromArray(rows.map((r) => r.path), new Utf8()), false);
  const taken = new Set<string>(['path']);

  const paramText = new Map<string, Array<string | undefined>>();
  const resultVals = new Map<string, unknown[]>();
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    for (const k in r.params) {
      let col = paramText.get(k);
      if (col === undefined) paramText.set(k, (col = new Array<string | undefined>(n)));
      col[i] = r.params[k];
    }
    for (const k in r.result) {
      let col = resultVals.get(k);
      if (col === undefined) resultVals.set(k, (col = new Array<unknown>(n)));
      col[i] = r.result[k];
    }
  }
  const paramNames = ['path'];
  for (const [key, text] of paramText) {
    const vals = Array.from(text, (s) => (s === undefined ? null : csvValue(s)));
    const name = freeName(key, 'param_', taken);
    taken.add(name);
    paramNames.push(name);
    add(name, vectorOf(inferKind(vals, true), vals, Array.from(text, (s) => (s === '' ? undefined : s))));
  }
  const resultKeys = new Set(resultVals.keys());
  for (const [key, vals] of resultVals) {
    let name = key;
    if (taken.has(key)) name = freeName(`result_${key}`, 'result_', new Set([...taken, ...resultKeys]));
    taken.add(name);
    add(name, vectorOf(inferKind(Array.from(vals), false), Array.from(vals)));
  }
  const schema = new Schema(fields, new Map([[PARAMS_METADATA_KEY, JSON.stringify(paramNames)]]));
  const table = new Table(Object.fromEntries(fields.map((f, i) => [f.name, vectors[i]])));
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
}

/** How the pattern is walked: per-depth segment matchers (pruning), or every file against one regexp. */
type Matcher =
  | { kind: 'segments'; segs: Array<{ literal: string | null; re: RegExp }> }
  | { kind: 'any'; re: RegExp };

function compilePattern(pattern: string): Matcher {
  const p = pattern.replace(/^(\.\/)+/, '');
  if (p === '' || p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '')) {
    throw new ArrayflowError('E_USAGE', `--pattern '${pattern}' must be a relative glob such as 'run_*/result.json' (no leading '/', no '..', no empty segment)`);
  }
  if (!p.includes('/') || p.includes('**')) return { kind: 'any', re: globToRegExp(p) };
  return {
    kind: 'segments',
    segs: p.split('/').map((s) => ({ literal: GLOB_CHARS.test(s) ? null : s, re: globToRegExp(s) })),
  };
}

type Work = { dir: string; depth: number } | { file: string };

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

/** Runs `handle` over a growing work list with at most `limit` calls in flight. */
function drain(initial: Work[], limit: number, handle: (w: Work, push: (w: Work) => void) => Promise<void>): Promise<void> {
  const queue = [...initial];
  let active = 0;
  return new Promise((resolvePromise, reject) => {
    let failed = false;
    const push = (w: Work) => queue.push(w);
    const pump = () => {
      if (failed) return;
      while (active < limit && queue.length > 0) {
        const w = queue.pop()!;
        active++;
        handle(w, push).then(
          () => {
            active--;
            pump();
          },
          (e: unknown) => {
            failed = true;
            reject(e);
          },
        );
      }
      if (active === 0 && queue.length === 0) resolvePromise();
    };
    pump();
  });
}

/**
 * Imports every file under `fromDir` whose relative path matches `opts.pattern` (one row per file) and
 * writes `dataset.parquet`, `dataset.csv` (the ensemble dataset's writer) and `import-errors.ndjson`
 * to `opts.outDir`. Malformed files (not JSON, not an object, empty, a CSV without exactly one data
 * row, unreadable) are listed in `problems` and the errors file; they never stop the import. Rows are
 * in path order, so importing the same tree twice gives byte-identical files. Throws a DataError when
 * nothing matches (usually a wrong pattern or directory).
 */
export async function importResults(fromDir: string, opts: ImportOptions): Promise<ImportResult> {
  const matcher = compilePattern(opts.pattern);
  const outDir = opts.outDir ?? fromDir;
  const limit = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  const root = resolve(fromDir);
  const st = await stat(root).catch((e: unknown) => {
    throw new DataError(`cannot read ${fromDir}: ${(e as Error).message}`, { cause: e });
  });
  if (!st.isDirectory()) throw new DataError(`${fromDir} is not a directory`);
  // Our own outputs, when written inside the tree, are never inputs of the next import.
  const own = new Set(['dataset.parquet', 'dataset.csv', IMPORT_ERRORS_FILE].map((f) => resolve(outDir, f)));

  const rows: ImportedRow[] = [];
  const problems: ImportProblem[] = [];
  let matched = 0;
  const rel = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

  const readOne = async (path: string, literal: boolean): Promise<void> => {
    const abs = join(root, path);
    if (own.has(abs)) return;
    let buf: Buffer;
    try {
      buf = await readFile(abs);
    } catch (e) {
      // Gone since it was listed, or (a literal name tried without listing) missing or a directory: no match.
      if (code(e) === 'ENOENT' || code(e) === 'EISDIR' || (literal && code(e) === 'ENOTDIR')) return;
      matched++;
      problems.push({ path, reason: `cannot read ${path}: ${(e as Error).message}` });
      return;
    }
    matched++;
    const parsed = parseResultFile(path, buf.toString('utf8'));
    if (parsed.ok) rows.push({ path, params: parsePathParams(path), result: parsed.result });
    else problems.push({ path, reason: parsed.reason });
  };

  const list = async (dir: string) => {
    try {
      return await readdir(join(root, dir), { withFileTypes: true });
    } catch (e) {
      if (code(e) === 'ENOENT' || code(e) === 'ENOTDIR') return [];
      problems.push({ path: dir === '' ? '.' : dir, reason: `cannot list directory ${dir === '' ? '.' : dir}: ${(e as Error).message}` });
      return [];
    }
  };

  await drain([{ dir: '', depth: 0 }], limit, async (w, push) => {
    if ('file' in w) return readOne(w.file, matcher.kind === 'segments' && matcher.segs[matcher.segs.length - 1].literal !== null);
    if (matcher.kind === 'segments') {
      const seg = matcher.segs[w.depth];
      const last = w.depth === matcher.segs.length - 1;
      if (seg.literal !== null) {
        // No listing needed for a literal segment: try the path itself.
        if (last) return readOne(rel(w.dir, seg.literal), true);
        push({ dir: rel(w.dir, seg.literal), depth: w.depth + 1 });
        return;
      }
      for (const e of await list(w.dir)) {
        if (!seg.re.test(e.name)) continue;
        const isDir = e.isDirectory() || (e.isSymbolicLink() && (await stat(join(root, w.dir, e.name)).catch(() => null))?.isDirectory() === true);
        if (last) {
          if (!isDir) push({ file: rel(w.dir, e.name) });
        } else if (isDir) push({ dir: rel(w.dir, e.name), depth: w.depth + 1 });
      }
      return;
    }
    for (const e of await list(w.dir)) {
      const path = rel(w.dir, e.name);
      // Symlinked directories are not followed here: an unbounded walk could loop.
      if (e.isDirectory()) push({ dir: path, depth: w.depth + 1 });
      else if (matcher.re.test(path)) push({ file: path });
    }
  });

  if (matched === 0) {
    throw new DataError(`no file under ${fromDir} matches --pattern '${opts.pattern}'${problems.length > 0 ? ` (${problems[0].reason})` : ''}`);
  }
  // Code-point order, independent of the locale and of the order reads finished in.
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  rows.sort(byPath);
  problems.sort(byPath);
  const table = buildImportTable(rows);
  await mkdir(outDir, { recursive: true });
  const errors = join(outDir, IMPORT_ERRORS_FILE);
  const [files] = await Promise.all([
    writeDataset(table, outDir),
    writeFileAtomic(errors, problems.map((p) => JSON.stringify(p) + '\n').join('')),
  ]);
  return { matched, rows: rows.length, problems, ...files, errors };
}
