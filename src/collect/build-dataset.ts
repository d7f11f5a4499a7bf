// Final records + task rows -> the dataset's Arrow tables (one row per task): the column plan (names, kinds) and the batches.
import { Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8 } from './arrow.js';
import { type TaskRecord, endsTask } from '../records/record.js';
import type { TaskRow } from '../plan/tasks.js';
import { classOf, ResultShapes } from '../records/result-shape.js';
import {
  column,
  Float64Column,
  inferredColumn,
  Int32Column,
  Int64Column,
  KindCounter,
  TimestampColumn,
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

/** The number columns of every dataset, of `n` rows, filled as each row is added (columns.ts NumberColumn). */
function fixedColumns(n: number) {
  const int32 = (): Int32Column => new Int32Column(n);
  const [taskId, batch, point, replicate, exitCode, attempt, runs] = [int32(), int32(), int32(), int32(), int32(), int32(), int32()];
  const [start, end, duration] = [new TimestampColumn(n), new TimestampColumn(n), new Float64Column(n)];
  // the columns a record fills: a pending row (no record) has nulls in them
  const ofRecord = [exitCode, attempt, runs, start, end, duration];
  return { taskId, batch, point, replicate, exitCode, attempt, runs, start, end, duration, seed: new Int64Column(n), ofRecord };
}

type FixedColumns = ReturnType<typeof fixedColumns>;

// The text columns among the metadata, by their place in `values` after the params and results.
const STATUS = 0;
const REASON = 1;
const SIGNAL = 2;
const HOST = 3;
const JOB_ID = 4;
const TEXT_COLUMNS = 5;

/**
 * The rows of one batch of the dataset, added one at a time and kept as column values only, so a
 * row's record is garbage as soon as it is added (held for a whole batch, 10^5 records outlive the
 * young generation, and copying them was the largest part of the collector's GC). The number columns go
 * straight into typed arrays; the params, results and texts into an array per column. Columns: `task_id`,
 * `batch`, {@link PLACE_COLUMNS}, the params, the results, then {@link METADATA_COLUMNS}.
 */
export class BatchBuilder {
  private n = 0;
  private fixed!: FixedColumns;
  // per param, result and text column, in that order, each row's value (holes: null)
  private values: unknown[][] = [];
  private readonly resultSlot: Map<string, number>;
  private readonly text: number;

  constructor(
    private readonly cols: DatasetColumns,
    private readonly capacity: number,
  ) {
    this.resultSlot = new Map(cols.results.map((c, i) => [c.key, cols.params.length + i]));
    this.text = cols.params.length + cols.results.length;
    this.reset();
  }

  private reset(): void {
    this.n = 0;
    this.fixed = fixedColumns(this.capacity);
    this.values = Array.from({ length: this.text + TEXT_COLUMNS }, () => new Array<unknown>(this.capacity));
  }

  /** Rows added since the last {@link build}. */
  get length(): number {
    return this.n;
  }

  /** Adds task `row` with final record `rec` (undefined: pending). */
  add(row: TaskRow, rec: TaskRecord | undefined): void {
    const v = this.values;
    const f = this.fixed;
    const i = this.n++;
    f.taskId.set(i, row.id);
    f.batch.set(i, row.batch);
    f.point.set(i, row.point);
    f.replicate.set(i, row.replicate);
    const params = this.cols.params;
    for (let p = 0; p < params.length; p++) v[p][i] = row.params?.[params[p].key];
    f.seed.set(i, row.seed);
    const t = this.text;
    if (rec === undefined) {
      v[t + STATUS][i] = 'pending';
      for (const c of f.ofRecord) c.set(i, null);
      return;
    }
    if (rec.status === 'done' && rec.result !== null && typeof rec.result === 'object') {
      const res = rec.result;
      for (const k in res) {
        const slot = this.resultSlot.get(k);
        if (slot !== undefined) v[slot][i] = res[k];
      }
    }
    v[t + STATUS][i] = rec.status;
    v[t + REASON][i] = rec.status === 'done' ? null : text(rec.reason);
    f.exitCode.set(i, rec.exit_code);
    v[t + SIGNAL][i] = text(rec.signal);
    f.attempt.set(i, rec.attempt);
    f.runs.set(i, rec.runs);
    v[t + HOST][i] = text(rec.host);
    v[t + JOB_ID][i] = text(rec.job_id);
    // as epoch ms now, so the time strings are not held for the batch either
    f.start.set(i, timestampMs(rec.start));
    f.end.set(i, timestampMs(rec.end));
    f.duration.set(i, Number.isFinite(rec.duration_s) ? rec.duration_s : null);
  }

  /** The rows added since the last build, as one table (then starts afresh). */
  build(): Table {
    const n = this.n;
    const v = this.values;
    const f = this.fixed;
    for (const col of v) col.length = n;
    this.reset();
    const columns: Column[] = [];
    columns.push(column('task_id', new Int32(), false, f.taskId.data(n)));
    columns.push(column('batch', new Int32(), true, f.batch.data(n)));
    columns.push(column('point', new Int32(), true, f.point.data(n)));
    columns.push(column('replicate', new Int32(), true, f.replicate.data(n)));
    this.cols.params.forEach((c, p) => columns.push(inferredColumn(c.name, c.kind, v[p])));
    this.cols.results.forEach((c) => columns.push(inferredColumn(c.name, c.kind, v[this.resultSlot.get(c.key)!])));
    const t = this.text;
    columns.push(column('status', new Utf8(), false, utf8Data(v[t + STATUS])));
    columns.push(column('reason', new Utf8(), true, utf8Data(v[t + REASON])));
    columns.push(column('exit_code', new Int32(), true, f.exitCode.data(n)));
    columns.push(column('signal', new Utf8(), true, utf8Data(v[t + SIGNAL])));
    columns.push(column('attempt', new Int32(), true, f.attempt.data(n)));
    columns.push(column('runs', new Int32(), true, f.runs.data(n)));
    columns.push(column('host', new Utf8(), true, utf8Data(v[t + HOST])));
    columns.push(column('job_id', new Utf8(), true, utf8Data(v[t + JOB_ID])));
    columns.push(column('start_time', new TimestampMillisecond('UTC'), true, f.start.data(n)));
    columns.push(column('end_time', new TimestampMillisecond('UTC'), true, f.end.data(n)));
    columns.push(column('duration_s', new Float64(), true, f.duration.data(n)));
    columns.push(column('task_seed', new Int64(), true, f.seed.data(n)));
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
