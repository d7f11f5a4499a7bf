// Final records + task rows -> the dataset's Arrow tables (one row per task): the column plan (names, kinds) and the batches.
import { Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8 } from './arrow.js';
import { type TaskRecord, endsTask } from '../records/record.js';
import type { TaskRow } from '../plan/tasks.js';
import { classOf, ResultShapes } from '../records/result-shape.js';
import {
  column,
  float64Data,
  inferredColumn,
  int32Data,
  int64Data,
  KindCounter,
  timestampData,
  timestampMs,
  utf8Data,
  type Column,
  type Kind,
} from './columns.js';

/** The metadata columns, in order, after the params and results. */
export const METADATA_COLUMNS = [
  'status',
  'reason',
  'exit_code',
  'signal',
  'attempt',
  // how many times the kept attempt ran (records/runs.ts): 2 or more after a requeue, an orphan's duplicate, a double submission
  'runs',
  'host',
  'job_id',
  'start_time',
  'end_time',
  'duration_s',
  // the seed the task ran with ({task_seed}, ARRAYFLOW_TASK_SEED, params.json): with the parameters, all it needs to be reproduced
  'task_seed',
] as const;

/**
 * The columns naming a task's place in the design, after `task_id` and `batch` in every dataset: its design point and
 * which replicate of that point it is (src/plan/points.ts; null for a row not placed).
 */
export const PLACE_COLUMNS = ['point', 'replicate'] as const;

const RESERVED = new Set<string>(['task_id', 'batch', ...PLACE_COLUMNS, ...METADATA_COLUMNS]);

export interface BuildDatasetOptions {
  /** Also emit tasks without a final record, with status "pending" and nulls elsewhere. */
  includePending?: boolean;
}

/** One parameter or result column: its key in the params or result object, its column name and kind. */
interface PlannedColumn {
  key: string;
  name: string;
  kind: Kind;
}

/** The columns of a dataset, decided from all its rows before any batch is built, so that every batch has the same schema. */
export interface DatasetColumns {
  params: PlannedColumn[];
  results: PlannedColumn[];
}

/** Accumulates the parameter and result kinds of the dataset's rows, in task-id order, then plans the columns. */
export class ColumnPlanner {
  private readonly params = new Map<string, KindCounter>();
  private readonly results = new Map<string, KindCounter>();
  private readonly seenShapes = new Set<number>();

  constructor(
    private readonly paramNames: string[],
    private readonly shapes: ResultShapes,
  ) {
    for (const p of paramNames) this.params.set(p, new KindCounter());
  }

  /** Adds one row: its task's parameters and the shape id of its final record's result (0 for none). */
  add(row: TaskRow, shape: number): void {
    for (const [p, k] of this.params) k.add(classOf(row.params?.[p]));
    if (this.seenShapes.has(shape)) return;
    this.seenShapes.add(shape);
    // keys in first-seen order: a shape seen before adds no key that is not already there
    for (const [key, c] of this.shapes.shapes[shape]) {
      let k = this.results.get(key);
      if (k === undefined) this.results.set(key, (k = new KindCounter()));
      k.add(c);
    }
  }

  /** Column names: params (prefixed `param_` if they clash with a reserved name), then results (`result_` if they clash). */
  plan(): DatasetColumns {
    const names = new Set<string>(RESERVED);
    const params: PlannedColumn[] = [];
    for (const p of this.paramNames) {
      if (params.some((c) => c.key === p)) continue;
      const name = freeName(p, 'param_', (s) => names.has(s));
      names.add(name);
      params.push({ key: p, name, kind: this.params.get(p)!.kind(true) });
    }
    const taken = new Set<string>([...names, ...this.results.keys()]);
    const results: PlannedColumn[] = [];
    for (const [key, k] of this.results) {
      let name = key;
      if (names.has(key)) {
        name = freeName(`result_${key}`, 'result_', (s) => taken.has(s));
        taken.add(name);
      }
      results.push({ key, name, kind: k.kind(false) });
    }
    return { params, results };
  }
}

/** Metadata text as written; a non-string (a numeric job id, say) as its String form. */
function text(v: unknown): string | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
}

/** A name not yet taken, made by prefixing `prefix` as often as needed. */
function freeName(name: string, prefix: string, taken: (s: string) => boolean): string {
  let out = name;
  while (taken(out)) out = prefix + out;
  return out;
}

// The columns before the params: task_id, batch, point, replicate.
const LEADING = 4;

/**
 * The rows of one batch of the dataset, added one at a time and kept as column values only, so a
 * row's record is garbage as soon as it is added (held for a whole batch, 10^5 records outlive the
 * young generation, and copying them was the largest part of the collector's GC). Columns: `task_id`,
 * `batch`, {@link PLACE_COLUMNS}, the params, the results, then {@link METADATA_COLUMNS}.
 */
export class BatchBuilder {
  private n = 0;
  // per column, in the order above, each row's value (holes: null)
  private values: unknown[][] = [];
  private readonly resultSlot: Map<string, number>;
  private readonly meta: number;

  constructor(
    private readonly cols: DatasetColumns,
    private readonly capacity: number,
  ) {
    this.resultSlot = new Map(cols.results.map((c, i) => [c.key, LEADING + cols.params.length + i]));
    this.meta = LEADING + cols.params.length + cols.results.length;
    this.reset();
  }

  private reset(): void {
    this.n = 0;
    this.values = Array.from({ length: this.meta + METADATA_COLUMNS.length }, () => new Array<unknown>(this.capacity));
  }

  /** Rows added since the last {@link build}. */
  get length(): number {
    return this.n;
  }

  /** Adds task `row` with final record `rec` (undefined: pending). */
  add(row: TaskRow, rec: TaskRecord | undefined): void {
    const v = this.values;
    const i = this.n++;
    v[0][i] = row.id;
    v[1][i] = row.batch;
    v[2][i] = row.point;
    v[3][i] = row.replicate;
    const params = this.cols.params;
    for (let p = 0; p < params.length; p++) v[LEADING + p][i] = row.params?.[params[p].key];
    const m = this.meta;
    v[m + 11][i] = row.seed;
    if (rec === undefined) {
      v[m][i] = 'pending';
      return;
    }
    if (rec.status === 'done' && rec.result !== null && typeof rec.result === 'object') {
      const res = rec.result;
      for (const k in res) {
        const slot = this.resultSlot.get(k);
        if (slot !== undefined) v[slot][i] = res[k];
      }
    }
    v[m][i] = rec.status;
    v[m + 1][i] = rec.status === 'done' ? null : text(rec.reason);
    v[m + 2][i] = rec.exit_code;
    v[m + 3][i] = text(rec.signal);
    v[m + 4][i] = rec.attempt;
    v[m + 5][i] = rec.runs;
    v[m + 6][i] = text(rec.host);
    v[m + 7][i] = text(rec.job_id);
    // as epoch ms now, so the time strings are not held for the batch either
    v[m + 8][i] = timestampMs(rec.start);
    v[m + 9][i] = timestampMs(rec.end);
    v[m + 10][i] = Number.isFinite(rec.duration_s) ? rec.duration_s : null;
  }

  /** The rows added since the last build, as one table (then starts afresh). */
  build(): Table {
    const n = this.n;
    const v = this.values;
    for (const col of v) col.length = n;
    this.reset();
    const columns: Column[] = [];
    columns.push(column('task_id', new Int32(), false, int32Data(v[0])));
    columns.push(column('batch', new Int32(), true, int32Data(v[1])));
    columns.push(column('point', new Int32(), true, int32Data(v[2])));
    columns.push(column('replicate', new Int32(), true, int32Data(v[3])));
    this.cols.params.forEach((c, p) => columns.push(inferredColumn(c.name, c.kind, v[LEADING + p])));
    this.cols.results.forEach((c) => columns.push(inferredColumn(c.name, c.kind, v[this.resultSlot.get(c.key)!])));
    const m = this.meta;
    columns.push(column('status', new Utf8(), false, utf8Data(v[m])));
    columns.push(column('reason', new Utf8(), true, utf8Data(v[m + 1])));
    columns.push(column('exit_code', new Int32(), true, int32Data(v[m + 2])));
    columns.push(column('signal', new Utf8(), true, utf8Data(v[m + 3])));
    columns.push(column('attempt', new Int32(), true, int32Data(v[m + 4])));
    columns.push(column('runs', new Int32(), true, int32Data(v[m + 5])));
    columns.push(column('host', new Utf8(), true, utf8Data(v[m + 6])));
    columns.push(column('job_id', new Utf8(), true, utf8Data(v[m + 7])));
    columns.push(column('start_time', new TimestampMillisecond('UTC'), true, timestampData(v[m + 8])));
    columns.push(column('end_time', new TimestampMillisecond('UTC'), true, timestampData(v[m + 9])));
    columns.push(column('duration_s', new Float64(), true, float64Data(v[m + 10])));
    columns.push(column('task_seed', new Int64(), true, int64Data(v[m + 11])));
    const fields: Field[] = columns.map((c) => c.field);
    const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns.map((c) => c.data) });
    return new Table(new RecordBatch(new Schema(fields), struct));
  }
}

/**
 * One batch of the dataset: row i is task `rows[i]` with final record `recs[i]` (undefined: pending),
 * in the columns of `cols` (see {@link BatchBuilder}).
 */
export function buildBatch(rows: TaskRow[], recs: Array<TaskRecord | undefined>, cols: DatasetColumns): Table {
  const b = new BatchBuilder(cols, rows.length);
  rows.forEach((row, i) => b.add(row, recs[i]));
  return b.build();
}

/**
 * Builds the dataset of rows held in memory: one row per task whose final record ends it (done or failed), in
 * task-id order (plus pending tasks, an interrupted one among them, with `includePending`). Columns: `task_id`, `batch`, `point`, `replicate`, the params in
 * `paramNames` order, the result keys in first-seen order, then {@link METADATA_COLUMNS}. See docs/dataset.md.
 */
export function buildDataset(tasks: TaskRow[], finals: Map<number, TaskRecord>, paramNames: string[], opts: BuildDatasetOptions = {}): Table {
  let rows = tasks.filter((t) => opts.includePending === true || endsTask(finals.get(t.id)));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i - 1].id >= rows[i].id) {
      rows = [...rows].sort((a, b) => a.id - b.id);
      break;
    }
  }
  const recs = rows.map((t) => {
    const r = finals.get(t.id);
    return endsTask(r) ? r : undefined;
  });
  const shapes = new ResultShapes();
  const planner = new ColumnPlanner(paramNames, shapes);
  rows.forEach((t, i) => planner.add(t, shapes.idOf(recs[i])));
  return buildBatch(rows, recs, planner.plan());
}
