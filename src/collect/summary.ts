// Grouped statistics (count, mean, sample std, standard error, min, max) of an ensemble's done rows, from dataset.parquet or straight from the records.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { makeVector, Type, type Table, type Vector } from './arrow.js';
import { isValid } from './csv.js';
import { accumulate, Accumulators, directValues, type ColumnSummary } from './summary-stats.js';
import { UsageError } from '../errors.js';
import { EnsembleLayout } from '../layout/layout.js';
import { readPlan } from '../plan/read.js';
import { readTaskTable } from '../plan/tasks.js';
import { placeRows, pointBlocks } from '../plan/points.js';
import { buildDataset, METADATA_COLUMNS, PLACE_COLUMNS } from './build-dataset.js';
import { PARAMS_METADATA_KEY } from './import.js';
import { readRecordFiles } from '../records/read.js';
import { selectFinal } from '../records/select-final.js';
import { readDatasetParquet } from './parquet.js';

export type { ColumnSummary } from './summary-stats.js';

/** A group key value as JSON can carry it: int64 as a number when safe (else its decimal text). */
export type KeyValue = string | number | boolean | null;

export interface SummaryGroup {
  /** The group's value of each `by` column ({} when there is no `by`). */
  key: Record<string, KeyValue>;
  /** Done rows in the group: the rows the statistics are over. */
  done: number;
  /** Failed rows in the group (they carry no results). */
  failed: number;
  /** One entry per summarized column, in column order. */
  stats: Record<string, ColumnSummary>;
}

/** Columns never summarized by default: identifiers, the design place and run metadata, not results. */
const NOT_RESULTS = new Set<string>(['task_id', 'batch', ...PLACE_COLUMNS, ...METADATA_COLUMNS]);

/**
 * The columns summarized by default: numeric, not grouped by, not a parameter, not in NOT_RESULTS, and not an
 * upstream stage's value in a later stage's row (`coarse.y` beside `coarse.task`, docs/stages.md): those are the
 * upstream's parameters and results, summarized with its own rows.
 */
function resultColumns(table: Table, by: string[], params: string[]): string[] {
  const names = table.schema.fields.map((f) => f.name);
  const upstream = names.filter((n) => n.endsWith('.task')).map((n) => n.slice(0, -'task'.length));
  return numericColumns(table).filter((c) => !by.includes(c) && !params.includes(c) && !NOT_RESULTS.has(c) && !upstream.some((u) => c.startsWith(u)));
}

function isNumeric(typeId: Type): boolean {
  return typeId === Type.Int || typeId === Type.Float;
}


/** The numeric columns of `table`, in schema order. */
export function numericColumns(table: Table): string[] {
  return table.schema.fields.filter((f) => isNumeric(f.typeId)).map((f) => f.name);
}

/** Every value of a column as a JS value (null for nulls); bigints stay bigints. */
function jsValues(vec: Vector): unknown[] {
  const out: unknown[] = new Array(vec.length);
  let k = 0;
  for (const data of vec.data) {
    const simple = directValues(data);
    const chunk = simple ? undefined : makeVector(data);
    for (let i = 0; i < data.length; i++) {
      if (!isValid(data, i)) out[k++] = null;
      else out[k++] = simple ? (data.values as ArrayLike<unknown>)[i] : chunk!.get(i);
    }
  }
  return out;
}

function keyValue(v: unknown): KeyValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : String(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x));
}

/** Orders one column's key values: nulls last, numbers (and bigints) numerically, strings by code point. */
function compareKey(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    // Number() of two int64s can tie while the values differ; compare them exactly then.
    if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
    if (Number.isNaN(y)) return -1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  const s = String(a);
  const t = String(b);
  return s < t ? -1 : s > t ? 1 : 0;
}

/** Rows done, failed and neither (pending) of a table of `rows` rows, from its {@link summarize} groups, which count every done and failed row once. */
function statusCounts(groups: SummaryGroup[], rows: number): { done: number; failed: number; pending: number } {
  let done = 0;
  let failed = 0;
  for (const g of groups) {
    done += g.done;
    failed += g.failed;
  }
  return { done, failed, pending: rows - done - failed };
}

/** Per-row status: 1 done, 2 failed, 0 anything else (pending). A table without `status` is all done. */
function rowStatus(table: Table): Uint8Array {
  const out = new Uint8Array(table.numRows);
  const status = table.getChild('status');
  if (status === null) return out.fill(1);
  const vals = jsValues(status);
  for (let i = 0; i < vals.length; i++) out[i] = vals[i] === 'done' ? 1 : vals[i] === 'failed' ? 2 : 0;
  return out;
}

/**
 * Groups the rows of `table` by the values of the `by` columns (none: one group) and, for each
 * numeric column in `columns` (default: every numeric column except `by`, `task_id`, `batch`, the
 * design place, run metadata, upstream values and the parameters an imported table lists in its schema metadata), computes count, mean, sample std, sem, min and max over the group's **done** rows
 * (`status = 'done'`; every row when the table has no `status` column). Failed rows are counted per
 * group; pending rows are ignored. Groups come in ascending key order (nulls last); with an empty
 * `by` there is always exactly one group. Throws a UsageError for an unknown or
 * non-numeric column. Pure.
 */
export function summarize(table: Table, by: string[], columns?: string[], order: SummaryOptions['order'] = {}): SummaryGroup[] {
  const names = table.schema.fields.map((f) => f.name);
  for (const b of by) {
    if (!names.includes(b)) throw new UsageError(`unknown group-by column '${b}'; the columns are ${names.join(', ')}`);
  }
  const numeric = numericColumns(table);
  let cols: string[];
  if (columns === undefined) cols = resultColumns(table, by, listedParams(table) ?? []);
  else {
    for (const c of columns) {
      if (!names.includes(c)) throw new UsageError(`unknown column '${c}'; the numeric columns are ${numeric.join(', ') || '(none)'}`);
      if (!numeric.includes(c)) {
        const type = String(table.schema.fields.find((f) => f.name === c)!.type);
        throw new UsageError(`column '${c}' is ${type}, not numeric; the numeric columns are ${numeric.join(', ')}`);
      }
    }
    cols = [...new Set(columns)];
  }

  const status = rowStatus(table);
  const n = table.numRows;
  const groupOf = new Int32Array(n).fill(-1);
  const keys: unknown[][] = [];
  if (by.length === 0) {
    keys.push([]);
    for (let i = 0; i < n; i++) if (status[i] !== 0) groupOf[i] = 0;
  } else {
    const byValues = by.map((b) => jsValues(table.getChild(b)!));
    // Nested maps (SameValueZero: bigints and NaN compare by value) instead of a string key per row.
    const root = new Map<unknown, unknown>();
    const last = by.length - 1;
    for (let i = 0; i < n; i++) {
      if (status[i] === 0) continue;
      let level = root;
      for (let j = 0; j < last; j++) {
        const v = byValues[j][i];
        let next = level.get(v) as Map<unknown, unknown> | undefined;
        if (next === undefined) level.set(v, (next = new Map()));
        level = next;
      }
      const v = byValues[last][i];
      let g = level.get(v) as number | undefined;
      if (g === undefined) {
        g = keys.length;
        level.set(v, g);
        keys.push(byValues.map((vals) => vals[i]));
      }
      groupOf[i] = g;
    }
  }

  const done = new Float64Array(keys.length);
  const failed = new Float64Array(keys.length);
  for (let i = 0; i < n; i++) {
    if (status[i] === 1) done[groupOf[i]]++;
    else if (status[i] === 2) failed[groupOf[i]]++;
  }
  const accs = cols.map((c) => {
    const acc = new Accumulators(keys.length);
    accumulate(table.getChild(c)!, groupOf, status, acc);
    return acc;
  });

  // a column with a listed order (stages as declared) sorts by place in the list first, unlisted values after it
  // int64 keys come as bigints: matched to a listed number by value
  const same = (v: unknown) => (typeof v === 'bigint' ? Number(v) : v);
  const ranks = by.map((b) => new Map<unknown, number>((order[b] ?? []).map((v, i) => [same(v), i])));
  const rank = (j: number, v: unknown) => ranks[j].get(same(v)) ?? ranks[j].size;
  const sorted = keys.map((_, g) => g);
  sorted.sort((a, b) => {
    for (let j = 0; j < by.length; j++) {
      const c = rank(j, keys[a][j]) - rank(j, keys[b][j]) || compareKey(keys[a][j], keys[b][j]);
      if (c !== 0) return c;
    }
    return 0;
  });
  return sorted.map((g) => ({
    key: Object.fromEntries(by.map((b, j) => [b, keyValue(keys[g][j])])),
    done: done[g],
    failed: failed[g],
    stats: Object.fromEntries(cols.map((c, k) => [c, accs[k].result(g)])),
  }));
}

/** What {@link readEnsembleSummary} found. */
export interface EnsembleSummary {
  /** The directory summarized (an ensemble, or a directory holding an imported dataset.parquet). */
  dir: string;
  /** Ensemble name (null for an imported dataset). */
  name: string | null;
  /**
   * Where the rows came from: `dataset` (dataset.parquet, newer than every record file) or `records`
   * (the record files directly, because the dataset is missing or older than some record file).
   */
  source: 'dataset' | 'records';
  /** Why the records were read instead of the dataset (null when source is `dataset`). */
  staleReason: string | null;
  total: number;
  done: number;
  failed: number;
  pending: number;
  by: string[];
  columns: string[];
  groups: SummaryGroup[];
}

export interface SummaryOptions {
  by?: string[];
  /** Numeric columns to summarize (default: every numeric result column). */
  columns?: string[];
  /** Compute from the record files even when dataset.parquet looks up to date. */
  fromRecords?: boolean;
  /** Per group-by column, the order its groups come in (a multi-stage ensemble's stages as declared); other values follow, ascending. */
  order?: Readonly<Record<string, readonly unknown[]>>;
}

// Enough parallel stats to hide shared-filesystem latency without exhausting file descriptors.
const STAT_CONCURRENCY = 16;

async function mtimeMs(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Newest modification time of the record files in `resultsDir` (-Infinity when there are none). */
async function newestRecordMtime(resultsDir: string): Promise<number> {
  let names: string[];
  try {
    names = (await readdir(resultsDir)).filter((n) => n.endsWith('.ndjson'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return -Infinity;
    throw e;
  }
  let newest = -Infinity;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const t = await mtimeMs(join(resultsDir, names[next++]));
      if (t !== null && t > newest) newest = t;
    }
  };
  await Promise.all(Array.from({ length: Math.min(STAT_CONCURRENCY, names.length) }, worker));
  return newest;
}

/** Why the dataset cannot stand for the records (null when it can). */
async function staleness(layout: EnsembleLayout): Promise<string | null> {
  const [dataset, records] = await Promise.all([mtimeMs(layout.datasetParquet), newestRecordMtime(layout.resultsDir)]);
  if (dataset === null) return 'no dataset.parquet yet';
  // >=: on filesystems with coarse timestamps a record written in the same tick as the dataset may be missing from it.
  if (records >= dataset) return 'dataset.parquet is older than the newest records';
  return null;
}

/** The parameter columns of a dataset built by buildDataset: after task_id, batch, point and replicate (datasets written before point and replicate existed lack them), one per parameter. */
function paramColumns(table: Table, paramNames: string[]): string[] {
  const fields = table.schema.fields.map((f) => f.name);
  if (fields[0] !== 'task_id' || fields[1] !== 'batch') return paramNames.filter((p) => fields.includes(p));
  const at = PLACE_COLUMNS.every((c, i) => fields[2 + i] === c) ? 2 + PLACE_COLUMNS.length : 2;
  return fields.slice(at, at + paramNames.length);
}

/** The run-describing columns an imported table lists in its schema metadata (undefined when it lists none). */
function listedParams(table: Table): string[] | undefined {
  const listed = table.schema.metadata.get(PARAMS_METADATA_KEY);
  if (listed === undefined) return undefined;
  try {
    const names = JSON.parse(listed) as unknown;
    if (Array.isArray(names)) return names.filter((x): x is string => typeof x === 'string');
  } catch {
    // Not ours after all.
  }
  return undefined;
}

/** The run-describing columns of an imported dataset: as listed, else every non-numeric column. */
function importedParams(table: Table): string[] {
  return listedParams(table) ?? table.schema.fields.filter((f) => !isNumeric(f.typeId)).map((f) => f.name);
}

function checkBy(table: Table, by: string[], params: string[]): void {
  const names = table.schema.fields.map((f) => f.name);
  for (const b of by) {
    if (names.includes(b)) continue;
    const others = names.filter((n) => !params.includes(n));
    throw new UsageError(
      `unknown group-by column '${b}': the parameters are ${params.join(', ') || '(none)'}` +
        (others.length > 0 ? `; other columns: ${others.join(', ')}` : ''),
    );
  }
}

/**
 * Summarizes the done rows of an ensemble (see {@link summarize}) as soon as it has any: from
 * dataset.parquet when it is newer than every record file, otherwise from the records themselves
 * (task table + each task's final record, exactly as `collect` would build the dataset, without
 * writing anything). Also accepts a directory that only holds a dataset.parquet (an imported
 * results tree). Default columns: the numeric result columns (not parameters, not metadata).
 */
export async function readEnsembleSummary(dir: string, opts: SummaryOptions = {}): Promise<EnsembleSummary> {
  const by = opts.by ?? [];
  const layout = new EnsembleLayout(dir);
  let planned: Awaited<ReturnType<typeof readPlan>> | null = null;
  if ((await mtimeMs(layout.planFile)) !== null) planned = await readPlan(dir);
  else if ((await mtimeMs(layout.datasetParquet)) === null) {
    // Neither: let readPlan say what is missing and what to do.
    planned = await readPlan(dir);
  }

  if (planned === null) {
    // An imported dataset: no plan, no records, every row done.
    const table = await readDatasetParquet(layout.datasetParquet);
    const params = importedParams(table);
    checkBy(table, by, params);
    const columns = opts.columns ?? resultColumns(table, by, params);
    const groups = summarize(table, by, columns, opts.order);
    return { dir, name: null, source: 'dataset', staleReason: null, total: table.numRows, ...statusCounts(groups, table.numRows), by, columns: [...new Set(columns)], groups };
  }

  const { plan } = planned;
  const stale = opts.fromRecords ? 'records requested' : await staleness(layout);
  let table: Table;
  if (stale === null) table = await readDatasetParquet(layout.datasetParquet);
  else {
    const [tasks, { records }] = await Promise.all([readTaskTable(layout), readRecordFiles(layout.resultsDir)]);
    placeRows(tasks, pointBlocks(plan));
    table = buildDataset(tasks, selectFinal(records), plan.param_names);
  }
  const params = paramColumns(table, plan.param_names);
  checkBy(table, by, params);
  const columns = opts.columns ?? resultColumns(table, by, params);
  const groups = summarize(table, by, columns, opts.order);
  const { done, failed } = statusCounts(groups, table.numRows);
  return {
    dir,
    name: plan.name,
    source: stale === null ? 'dataset' : 'records',
    staleReason: stale,
    total: plan.tasks,
    done,
    failed,
    pending: Math.max(0, plan.tasks - done - failed),
    by,
    columns: [...new Set(columns)],
    groups,
  };
}

/** Shortest text of a statistic: 6 significant digits, `-` for null. */
function num(x: number | null): string {
  if (x === null) return '-';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(6)));
}

/** The summary as one line of JSON; a statistic or key that is NaN or ±Infinity (JSON has none) is the text "NaN", "Infinity" or "-Infinity". */
export function renderSummaryJson(s: EnsembleSummary): string {
  return JSON.stringify(s, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n';
}

/**
 * Renders the summary as an aligned text table, one line per group and column: the `by` values,
 * the group's done and failed rows, then count, mean, std, sem, min, max of that column; a `nan`
 * column after count when some column has NaN values.
 */
export function renderSummaryTable(s: EnsembleSummary): string {
  const nans = s.groups.some((g) => Object.values(g.stats).some((st) => st.nan !== undefined));
  const head = [...s.by, 'done', 'failed', 'column', 'count', ...(nans ? ['nan'] : []), 'mean', 'std', 'sem', 'min', 'max'];
  const rightAligned = head.map((h, i) => i >= s.by.length && h !== 'column');
  const rows: string[][] = [];
  for (const g of s.groups) {
    const key = s.by.map((b) => (g.key[b] === null ? '(null)' : String(g.key[b])));
    const cols = s.columns.length > 0 ? s.columns : [null];
    for (const c of cols) {
      const st = c === null ? null : g.stats[c];
      // grouped, a column with no value in this group is another group's (a later stage's results): left out
      if (st && st.count === 0 && st.nan === undefined && s.by.length > 0) continue;
      const nan = nans ? [st ? String(st.nan ?? 0) : '-'] : [];
      rows.push([...key, String(g.done), String(g.failed), c ?? '-', st ? String(st.count) : '-', ...nan, num(st?.mean ?? null), num(st?.std ?? null), num(st?.sem ?? null), num(st?.min ?? null), num(st?.max ?? null)]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
