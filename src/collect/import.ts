// Importing a results tree left by another tool (one JSON object or one-row CSV per run) into dataset.parquet + dataset.csv.
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DATASET_FORMATS, type DatasetSpec } from '../config/types.js';
import { DataError, UsageError } from '../errors.js';
import { parseResult, type ResultValue } from '../node/result.js';
import { writeFileAtomic } from '../util/fs.js';
import { isPlainCsv } from '../util/csv.js';
import { globToRegExp } from '../util/glob.js';
import { writeDataset } from './write-dataset.js';
import { datasetWriters, type DatasetFiles } from './writers.js';
import { EnsembleLayout } from '../layout/layout.js';
import { ImportTableBuilder } from './import-table.js';
import { type EntryKind, type OpResult, type Op, drain } from './readers.js';

export { buildImportTable, type ImportedRow, PARAMS_METADATA_KEY } from './import-table.js';

/** A matched file that gave no row, and why. */
export interface ImportProblem {
  /** Relative to the imported directory, '/'-separated. */
  path: string;
  reason: string;
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


/** Distinct CSV headers {@link plainCsvRows} keeps split; more are split per file. */
const NOT_BLANK = /\S/;
const MAX_HEADERS = 1024;

/** A plain one-row CSV file: its header's names (one array per distinct header text) and its row's field texts. */
export interface CsvFields {
  keys: readonly string[];
  fields: string[];
}

/**
 * A reader of one-row CSV result files that share headers, for trees of 10^5 of them: a header line is split and
 * checked once per distinct text, a row is split at its commas. Its result is the names with the fields as
 * csvValue types them, as {@link parseResultFile} gives it; null for any text it does not take (blank, quotes, a BOM,
 * CR, a blank line before the row, no or several data rows, a header with a repeated or `__proto__` name, a row of
 * another width): that text goes through parseResultFile.
 */
export function plainCsvRows(): (text: string) => CsvFields | null {
  // per header text its names, or null when they cannot be keys; a tree has a handful of headers (bounded all the same)
  const headers = new Map<string, string[] | null>();
  return (text) => {
    if (!isPlainCsv(text) || text.includes('\r') || !NOT_BLANK.test(text)) return null;
    const nl = text.indexOf('\n');
    let end = text.length;
    while (end > nl && text.charCodeAt(end - 1) === 10) end--;
    if (nl <= 0 || end <= nl + 1) return null;
    const line = text.slice(nl + 1, end);
    if (line.includes('\n')) return null;
    const h = text.slice(0, nl);
    let keys = headers.get(h);
    if (keys === undefined) {
      const names = h.split(',');
      keys = new Set(names).size === names.length && !names.includes('__proto__') ? names : null;
      if (headers.size < MAX_HEADERS) headers.set(h, keys);
    }
    if (keys === null) return null;
    const fields = line.split(',');
    return fields.length === keys.length ? { keys, fields } : null;
  };
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
  const table = new ImportTableBuilder();
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
    const plain = path.endsWith('.csv') ? csv(r) : null;
    if (plain !== null) return table.addFields(path, parsePathParams(path), plain.keys, plain.fields);
    const parsed = parseResultFile(path, r);
    if (parsed.ok) table.add({ path, params: parsePathParams(path), result: parsed.result });
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
  problems.sort(byPath);
  const rows = table.rows;
  await mkdir(outDir, { recursive: true });
  const errors = join(outDir, IMPORT_ERRORS_FILE);
  const [files] = await Promise.all([
    writeDataset(table.build(true), out, datasetWriters(opts.dataset)),
    writeFileAtomic(errors, problems.map((p) => JSON.stringify(p) + '\n').join('')),
  ]);
  return { matched, rows, problems, ...files, errors };
}
