// Importing a results tree left by another tool (one JSON object or one-row CSV per run) into dataset.parquet + dataset.csv.
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Bool, Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Table, Utf8, type Data } from 'apache-arrow';
import { DATASET_FORMATS, type DatasetSpec } from '../config/types.js';
import { DataError, UsageError } from '../errors.js';
import { csvValue, parseResult, type ResultValue } from '../node/result.js';
import { writeFileAtomic } from '../util/fs.js';
import { globToRegExp } from '../util/glob.js';
import { type Kind, inferKind } from './columns.js';
import { writeDataset } from './write-dataset.js';
import { datasetWriters, type DatasetFiles } from './writers.js';
import { EnsembleLayout } from '../layout/layout.js';
import { type EntryKind, type OpResult, type Op, drain } from './readers.js';

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
  /** The dataset files to write (default: parquet and csv, snappy), as the config's `dataset`. */
  dataset?: DatasetSpec;
  /** Reader threads, i.e. reads and directory listings in flight at once on a slow (network) filesystem (default 8; ./readers.ts). */
  concurrency?: number;
}

/** The dataset files written (Parquet always, the others as asked) and the counts. */
export interface ImportResult extends DatasetFiles {
  /** Files that matched the pattern. */
  matched: number;
  /** Rows written: one per good file. */
  rows: number;
  /** Matched files (or unreadable directories) that gave no row, sorted by path. */
  problems: ImportProblem[];
  /** import-errors.ndjson: one {path, reason} per problem (empty when there were none). */
  errors: string;
}

/** Name of the problem list written next to the dataset. */
export const IMPORT_ERRORS_FILE = 'import-errors.ndjson';
/** Schema metadata key holding the JSON list of columns that describe a run rather than its results. */
export const PARAMS_METADATA_KEY = 'arrayflow.params';

// Reader threads, each with one file or directory operation in flight: enough to overlap shared-filesystem
// metadata round trips (NFS/Lustre), few enough to stay light (a thread costs ~7 MB and ~50 ms to start).
const DEFAULT_CONCURRENCY = 8;
const GLOB_CHARS = /[*?[]/;
const KEY_VALUE = /^([^=]+)=(.*)$/;

/** `key=value` directory segments of a relative path, as raw text; the file name itself is not one. */
export function parsePathParams(relPath: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Most trees name their runs without one (run_0042/, d0_b0_s42_r0/): no split, no regexp per segment.
  if (!relPath.includes('=')) return out;
  const segs = relPath.split('/');
  for (let i = 0; i < segs.length - 1; i++) {
    const m = KEY_VALUE.exec(segs[i]);
    if (m !== null) out[m[1]] = m[2];
  }
  return out;
}

/** Parses one result file's text: `.csv` files as a one-row CSV, everything else as a JSON object (nested objects flattened). */
export function parseResultFile(relPath: string, text: string): { ok: true; result: Record<string, ResultValue> } | { ok: false; reason: string } {
  if (text.trim() === '') return { ok: false, reason: `bad result: ${relPath} is empty` };
  // Tools on Windows like to start UTF-8 files with a byte-order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return parseResult(text, { file: relPath, format: /\.csv$/i.test(relPath) ? 'csv' : 'json' });
}


/**
 * A reader of one-row CSV result files that share a header, for trees of 10^5 of them: the header line is split and
 * checked once per distinct header text, a row is split at its commas. It gives what {@link parseResultFile} gives,
 * or null for any text it does not take (quotes, a BOM, CR or blank lines, no or several data rows, a header with a
 * repeated or `__proto__` name, a row of another width): that text goes through parseResultFile.
 */
export function plainCsvRows(): (text: string) => Record<string, ResultValue> | null {
  let header: string | null = null;
  let keys: string[] | null = null;
  return (text) => {
    if (text.includes('"') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return null;
    const nl = text.indexOf('\n');
    let end = text.length;
    while (end > nl && text.charCodeAt(end - 1) === 10) end--;
    if (nl <= 0 || end <= nl + 1) return null;
    const line = text.slice(nl + 1, end);
    if (line.includes('\n')) return null;
    const h = text.slice(0, nl);
    if (h !== header) {
      header = h;
      const names = h.split(',');
      keys = new Set(names).size === names.length && !names.includes('__proto__') ? names : null;
    }
    if (keys === null) return null;
    const vals = line.split(',');
    if (vals.length !== keys.length) return null;
    const out: Record<string, ResultValue> = {};
    for (let i = 0; i < keys.length; i++) out[keys[i]] = csvValue(vals[i]);
    return out;
  };
}

/** Validity bitmap with a bit per valid row; undefined when nothing is null (Arrow's convention). */
function validity(n: number, isValid: (i: number) => boolean): { bitmap: Uint8Array | undefined; nulls: number } {
  const bits = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (isValid(i)) bits[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { bitmap: nulls === 0 ? undefined : bits, nulls };
}

/** Utf8 column from strings (null for null), with one UTF-8 encode for the whole column. */
function utf8Data(strs: readonly (string | null)[]): Data<Utf8> {
  const n = strs.length;
  const { bitmap, nulls } = validity(n, (i) => strs[i] !== null);
  const offsets = new Int32Array(n + 1);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = strs[i];
    if (x !== null) parts.push(x);
    offsets[i + 1] = offsets[i] + (x === null ? 0 : x.length);
  }
  const joined = parts.join('');
  const bytes = Buffer.from(joined, 'utf8');
  if (bytes.length !== joined.length) {
    // Not ASCII: offsets count bytes, not UTF-16 units.
    for (let i = 0; i < n; i++) {
      const x = strs[i];
      offsets[i + 1] = offsets[i] + (x === null ? 0 : Buffer.byteLength(x));
    }
  }
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  return makeData({ type: new Utf8(), length: n, nullCount: nulls, nullBitmap: bitmap, valueOffsets: offsets, data });
}

/** One column of the import table; typed arrays filled directly (the generic builders took seconds at 10^5 rows). */
function columnData(kind: Kind, vals: readonly unknown[], text?: readonly (string | undefined)[]): Data {
  const n = vals.length;
  if (kind === 'float64') {
    const values = new Float64Array(n);
    const { bitmap, nulls } = validity(n, (i) => typeof vals[i] === 'number');
    for (let i = 0; i < n; i++) if (typeof vals[i] === 'number') values[i] = vals[i] as number;
    return makeData({ type: new Float64(), length: n, nullCount: nulls, nullBitmap: bitmap, data: values });
  }
  if (kind === 'int64') {
    const values = new BigInt64Array(n);
    const { bitmap, nulls } = validity(n, (i) => typeof vals[i] === 'number');
    for (let i = 0; i < n; i++) if (typeof vals[i] === 'number') values[i] = BigInt(vals[i] as number);
    return makeData({ type: new Int64(), length: n, nullCount: nulls, nullBitmap: bitmap, data: values });
  }
  if (kind === 'bool') {
    const values = new Uint8Array((n + 7) >> 3);
    const { bitmap, nulls } = validity(n, (i) => typeof vals[i] === 'boolean');
    for (let i = 0; i < n; i++) if (vals[i] === true) values[i >> 3] |= 1 << (i & 7);
    return makeData({ type: new Bool(), length: n, nullCount: nulls, nullBitmap: bitmap, data: values });
  }
  const strs: Array<string | null> = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = vals[i];
    // A parameter keeps the text of its path segment ("1.50", not 1.5) when its column is text.
    strs[i] = text?.[i] ?? (v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));
  }
  return utf8Data(strs);
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
  const columns: Data[] = [];
  const add = (name: string, data: Data, nullable = true) => {
    fields.push(new Field(name, data.type, nullable));
    columns.push(data);
  };
  add('path', utf8Data(rows.map((r) => r.path)), false);
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
    add(name, columnData(inferKind(vals, true), vals, Array.from(text, (s) => (s === '' ? undefined : s))));
  }
  const resultKeys = new Set(resultVals.keys());
  for (const [key, vals] of resultVals) {
    let name = key;
    if (taken.has(key)) name = freeName(`result_${key}`, 'result_', new Set([...taken, ...resultKeys]));
    taken.add(name);
    add(name, columnData(inferKind(vals, false), vals));
  }
  const schema = new Schema(fields, new Map([[PARAMS_METADATA_KEY, JSON.stringify(paramNames)]]));
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns });
  return new Table(new RecordBatch(schema, struct));
}

/** How the pattern is walked: per-depth segment matchers (pruning), or every file against one regexp. */
type Matcher =
  | { kind: 'segments'; segs: Array<{ literal: string | null; re: RegExp }> }
  | { kind: 'any'; re: RegExp };

function compilePattern(pattern: string): Matcher {
  const p = pattern.replace(/^(\.\/)+/, '');
  if (p === '' || p.startsWith('/') || p.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new UsageError(`pattern '${pattern}' must be a relative glob such as 'run_*/result.json' (no leading '/', no '.' or '..' segment, no '//')`);
  }
  if (!p.includes('/') || p.includes('**')) return { kind: 'any', re: globToRegExp(p) };
  return {
    kind: 'segments',
    segs: p.split('/').map((s) => ({ literal: GLOB_CHARS.test(s) ? null : s, re: globToRegExp(s) })),
  };
}

/** A directory to list at a pattern depth, or a file to read (`unlisted`: named by the pattern, maybe absent). */
type Work = { dir: string; depth: number } | { file: string; unlisted?: boolean };

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
  const threads = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY);
  const root = resolve(fromDir);
  const st = await stat(root).catch((e: unknown) => {
    throw new DataError(`cannot read ${fromDir}: ${(e as Error).message}`, { cause: e });
  });
  if (!st.isDirectory()) throw new DataError(`${fromDir} is not a directory`);
  // Our own outputs, when written inside the tree, are never inputs of the next import.
  const out = new EnsembleLayout(resolve(outDir));
  const own = new Set([...DATASET_FORMATS.map((f) => out.dataset(f)), join(out.root, IMPORT_ERRORS_FILE)]);

  // `root` is absolute and normalised, the relative paths '/'-separated without '.' or '..': concatenation is enough.
  const abs = (path: string) => (path === '' ? root : root.endsWith('/') ? root + path : `${root}/${path}`);
  const rows: ImportedRow[] = [];
  const problems: ImportProblem[] = [];
  const csv = plainCsvRows();
  let matched = 0;
  const rel = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

  const onRead = (w: { file: string; unlisted?: boolean }, r: OpResult) => {
    const path = w.file;
    if (typeof r !== 'string' && 'error' in r) {
      const c = r.error.code;
      // Gone since it was listed, a directory, or (a name tried without listing) not there: no match.
      if (c === 'ENOENT' || c === 'EISDIR' || (w.unlisted === true && c === 'ENOTDIR')) return;
      matched++;
      problems.push({ path, reason: `cannot read ${path}: ${r.error.message}` });
      return;
    }
    if (typeof r !== 'string') return;
    matched++;
    const fast = csv === null || !path.endsWith('.csv') ? null : csv(r);
    const parsed = fast === null ? parseResultFile(path, r) : { ok: true as const, result: fast };
    if (parsed.ok) rows.push({ path, params: parsePathParams(path), result: parsed.result });
    else problems.push({ path, reason: parsed.reason });
  };

  const file = (path: string, unlisted: boolean, push: (w: Work) => void) => {
    if (!own.has(abs(path))) push({ file: path, unlisted });
  };
  /** Queues the directory `path` for pattern depth `depth`; a literal last segment is read without listing. */
  const descend = (path: string, depth: number, push: (w: Work) => void) => {
    if (matcher.kind === 'segments' && depth === matcher.segs.length - 1 && matcher.segs[depth].literal !== null) {
      file(rel(path, matcher.segs[depth].literal!), true, push);
    } else push({ dir: path, depth });
  };

  const onList = (w: { dir: string; depth: number }, r: OpResult, push: (w: Work) => void) => {
    if (typeof r === 'string') return;
    if ('error' in r) {
      if (r.error.code === 'ENOENT' || r.error.code === 'ENOTDIR') return;
      const shown = w.dir === '' ? '.' : w.dir;
      problems.push({ path: shown, reason: `cannot list directory ${shown}: ${r.error.message}` });
      return;
    }
    const { names, kinds } = r;
    if (matcher.kind === 'any') {
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        const kind = kinds[i] as EntryKind;
        const path = rel(w.dir, name);
        // Symlinked directories are not followed here: an unbounded walk could loop.
        if (kind === 'd') push({ dir: path, depth: w.depth + 1 });
        else if (kind === 'f' && matcher.re.test(path)) file(path, false, push);
      }
      return;
    }
    const seg = matcher.segs[w.depth];
    const last = w.depth === matcher.segs.length - 1;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      const kind = kinds[i] as EntryKind;
      if (!seg.re.test(name)) continue;
      if (!last) {
        if (kind !== 'f') descend(rel(w.dir, name), w.depth + 1, push);
      } else if (kind === 'f') file(rel(w.dir, name), false, push);
    }
  };

  // Literal directory segments need no listing either: start at the first glob segment.
  const initial: Work[] = [];
  if (matcher.kind === 'any') initial.push({ dir: '', depth: 0 });
  else {
    let depth = 0;
    while (depth < matcher.segs.length - 1 && matcher.segs[depth].literal !== null) depth++;
    descend(matcher.segs.slice(0, depth).map((x) => x.literal).join('/'), depth, (w) => initial.push(w));
  }
  const toOp = (w: Work): Op => ('file' in w ? `r${abs(w.file)}` : `l${abs(w.dir)}`);
  await drain(initial, threads, toOp, (w, r, push) => ('file' in w ? onRead(w, r) : onList(w, r, push)));

  if (matched === 0) {
    throw new DataError(`no file under ${fromDir} matches the pattern '${opts.pattern}'${problems.length > 0 ? ` (${problems[0].reason})` : ''}`);
  }
  // Code-point order, independent of the locale and of the order reads finished in.
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  rows.sort(byPath);
  problems.sort(byPath);
  const table = buildImportTable(rows);
  await mkdir(outDir, { recursive: true });
  const errors = join(outDir, IMPORT_ERRORS_FILE);
  const [files] = await Promise.all([
    writeDataset(table, out, datasetWriters(opts.dataset)),
    writeFileAtomic(errors, problems.map((p) => JSON.stringify(p) + '\n').join('')),
  ]);
  return { matched, rows: rows.length, problems, ...files, errors };
}
