// Final records + task rows -> the dataset's Arrow tables (one row per task): the column plan (names, kinds) and the batches.
import { Field, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, TimestampMillisecond, Utf8 } from 'apache-arrow';
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

/**
 * One batch of the dataset: row i is task `rows[i]` with final record `recs[i]` (undefined: pending),
 * in the columns of `cols`. Columns: `task_id`, `batch`, {@link PLACE_COLUMNS}, the params, the results, then {@link METADATA_COLUMNS}.
 */
export function buildBatch(rows: TaskRow[], recs: Array<TaskRecord | undefined>, cols: DatasetColumns): Table {
  const n = rows.length;
  const columns: Column[] = [];
  columns.push(column('task_id', new Int32(), false, int32Data(rows.map((t) => t.id))));
  columns.push(column('batch', new Int32(), true, int32Data(rows.map((t) => t.batch))));
  columns.push(column('point', new Int32(), true, int32Data(rows.map((t) => t.point))));
  columns.push(column('replicate', new Int32(), true, int32Data(rows.map((t) => t.replicate))));
  for (const c of cols.params) {
    const vals = rows.map((t) => t.params?.[c.key]);
    columns.push(inferredColumn(c.name, c.kind, vals));
  }

  // Transposed in one pass: keyed loads on 10^5 result objects per column were the slowest part of the build.
  const resultValues = new Map<string, unknown[]>(cols.results.map((c) => [c.key, new Array<unknown>(n)]));
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    if (r === undefined || r.status !== 'done' || r.result === null || typeof r.result !== 'object') continue;
    const res = r.result;
    for (const k in res) {
      const vals = resultValues.get(k);
      if (vals !== undefined) vals[i] = res[k];
    }
  }
  for (const c of cols.results) columns.push(inferredColumn(c.name, c.kind, resultValues.get(c.key)!));

  const status: unknown[] = new Array(n);
  const reason: unknown[] = new Array(n);
  const exitCode: unknown[] = new Array(n);
  const signal: unknown[] = new Array(n);
  const attempt: unknown[] = new Array(n);
  const runs: unknown[] = new Array(n);
  const host: unknown[] = new Array(n);
  const jobId: unknown[] = new Array(n);
  const start: unknown[] = new Array(n);
  const end: unknown[] = new Array(n);
  const duration: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    if (r === undefined) {
      status[i] = 'pending';
      continue;
    }
    status[i] = r.status;
    reason[i] = r.status === 'done' ? null : text(r.reason);
    exitCode[i] = r.exit_code;
    signal[i] = text(r.signal);
    attempt[i] = r.attempt;
    runs[i] = r.runs;
    host[i] = text(r.host);
    jobId[i] = text(r.job_id);
    start[i] = r.start;
    end[i] = r.end;
    duration[i] = Number.isFinite(r.duration_s) ? r.duration_s : null;
  }
  columns.push(column('status', new Utf8(), false, utf8Data(status)));
  columns.push(column('reason', new Utf8(), true, utf8Data(reason)));
  columns.push(column('exit_code', new Int32(), true, int32Data(exitCode)));
  columns.push(column('signal', new Utf8(), true, utf8Data(signal)));
  columns.push(column('attempt', new Int32(), true, int32Data(attempt)));
  columns.push(column('runs', new Int32(), true, int32Data(runs)));
  columns.push(column('host', new Utf8(), true, utf8Data(host)));
  columns.push(column('job_id', new Utf8(), true, utf8Data(jobId)));
  columns.push(column('start_time', new TimestampMillisecond('UTC'), true, timestampData(start)));
  columns.push(column('end_time', new TimestampMillisecond('UTC'), true, timestampData(end)));
  columns.push(column('duration_s', new Float64(), true, float64Data(duration)));
  columns.push(column('task_seed', new Int64(), true, int64Data(rows.map((t) => t.seed))));

  const fields: Field[] = columns.map((c) => c.field);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns.map((c) => c.data) });
  return new Table(new RecordBatch(new Schema(fields), struct));
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
