// Final records + task table -> one Arrow table (one row per task): column naming, type inference, typed-array columns.
import {
  Bool,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import { type TaskRecord, endsTask } from '../records/record.js';
import type { TaskRow } from '../plan/tasks.js';

/** The metadata columns, in order, after the params and results. */
export const METADATA_COLUMNS = [
  'status',
  'reason',
  'exit_code',
  'signal',
  'attempt',
  'host',
  'job_id',
  'start_time',
  'end_time',
  'duration_s',
  // the seed the task ran with ({task_seed}, ARRAYFLOW_TASK_SEED, params.json): with the parameters, all it needs to be reproduced
  'task_seed',
] as const;

const RESERVED = new Set<string>(['task_id', 'batch', ...METADATA_COLUMNS]);

export interface BuildDatasetOptions {
  /** Also emit tasks without a final record, with status "pending" and nulls elsewhere. */
  includePending?: boolean;
}

export type Kind = 'int64' | 'float64' | 'bool' | 'utf8';
/** One column's values by row; holes and undefined are nulls. */
type Values = ArrayLike<unknown>;

/** all numbers -> float64 (int64 if `allowInt` and all are safe integers); all booleans -> bool; else utf8. */
export function inferKind(vals: Values, allowInt: boolean): Kind {
  const n = vals.length;
  let nums = 0;
  let ints = 0;
  let bools = 0;
  let others = 0;
  for (let i = 0; i < n; i++) {
    const v = vals[i];
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

interface Column {
  field: Field;
  data: Data;
}

function column<T extends DataType>(name: string, type: T, nullable: boolean, data: Data<T>): Column {
  return { field: new Field(name, type, nullable), data: data as unknown as Data };
}

/** Validity bitmap helper: bits set for valid rows; omitted from the Data when nothing is null. */
class Validity {
  readonly bits: Uint8Array;
  nulls = 0;
  constructor(n: number) {
    this.bits = new Uint8Array((n + 7) >> 3);
  }
  valid(i: number): void {
    this.bits[i >> 3] |= 1 << (i & 7);
  }
  bitmap(): Uint8Array | undefined {
    return this.nulls === 0 ? undefined : this.bits;
  }
}

function float64Data(vals: Values): Data<Float64> {
  const n = vals.length;
  const values = new Float64Array(n);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = vals[i];
    if (typeof x === 'number') {
      values[i] = x;
      v.valid(i);
    } else v.nulls++;
  }
  return makeData({ type: new Float64(), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

/** Writes a safe integer into slot `i` of a little-endian int64 buffer without allocating a BigInt. */
function setInt64(words: Int32Array, i: number, x: number): void {
  const hi = Math.floor(x / 4294967296);
  words[2 * i] = (x - hi * 4294967296) | 0;
  words[2 * i + 1] = hi;
}

/** 64-bit little-endian words of `toInt(x)` per value (NaN or a non-safe integer: null) and their validity. */
function int64Words(vals: Values, toInt: (x: unknown) => number): { values: BigInt64Array; v: Validity } {
  const n = vals.length;
  const values = new BigInt64Array(n);
  const words = new Int32Array(values.buffer);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = toInt(vals[i]);
    if (Number.isSafeInteger(x)) {
      setInt64(words, i, x);
      v.valid(i);
    } else v.nulls++;
  }
  return { values, v };
}

function int64Data(vals: Values): Data<Int64> {
  const { values, v } = int64Words(vals, (x) => (typeof x === 'number' ? x : NaN));
  return makeData({ type: new Int64(), length: vals.length, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

function int32Data(vals: Values): Data<Int32> {
  const n = vals.length;
  const values = new Int32Array(n);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = vals[i];
    if (typeof x === 'number' && Number.isInteger(x) && x >= -0x80000000 && x <= 0x7fffffff) {
      values[i] = x;
      v.valid(i);
    } else v.nulls++;
  }
  return makeData({ type: new Int32(), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

function boolData(vals: Values): Data<Bool> {
  const n = vals.length;
  const values = new Uint8Array((n + 7) >> 3);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = vals[i];
    if (typeof x === 'boolean') {
      if (x) values[i >> 3] |= 1 << (i & 7);
      v.valid(i);
    } else v.nulls++;
  }
  return makeData({ type: new Bool(), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

const HAS_ZONE = /(?:[zZ]|[+-]\d\d(?::?\d\d)?)$/;

/** Date.parse, except that a date-time without a zone is UTC (not the collecting host's local time). */
function parseUtc(s: string): number {
  if (s.endsWith('Z') || !s.includes('T') || HAS_ZONE.test(s)) return Date.parse(s);
  return Date.parse(s + 'Z');
}

/** ISO-8601 strings -> epoch milliseconds; unparseable or missing -> null. */
function timestampData(vals: Values): Data<TimestampMillisecond> {
  const { values, v } = int64Words(vals, (x) => (typeof x === 'string' ? parseUtc(x) : NaN));
  return makeData({ type: new TimestampMillisecond('UTC'), length: vals.length, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

/** Strings as-is, other non-null values JSON-encoded. */
function utf8Data(vals: Values): Data<Utf8> {
  const n = vals.length;
  const strs: string[] = [];
  const charOffsets = new Int32Array(n + 1);
  const v = new Validity(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const x = vals[i];
    if (x === null || x === undefined) v.nulls++;
    else {
      const s = typeof x === 'string' ? x : JSON.stringify(x);
      strs.push(s);
      pos += s.length;
      v.valid(i);
    }
    charOffsets[i + 1] = pos;
  }
  // One encode for the whole column; per-string byte lengths are needed only when something is non-ASCII.
  const joined = strs.join('');
  const bytes = Buffer.from(joined, 'utf8');
  let offsets = charOffsets;
  if (bytes.length !== joined.length) {
    offsets = new Int32Array(n + 1);
    let b = 0;
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (charOffsets[i + 1] !== charOffsets[i]) b += Buffer.byteLength(strs[k++]);
      else if (((v.bits[i >> 3] >> (i & 7)) & 1) === 1) k++; // a valid empty string
      offsets[i + 1] = b;
    }
  }
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  return makeData({ type: new Utf8(), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), valueOffsets: offsets, data });
}

function inferredColumn(name: string, kind: Kind, vals: Values): Column {
  switch (kind) {
    case 'int64':
      return column(name, new Int64(), true, int64Data(vals));
    case 'float64':
      return column(name, new Float64(), true, float64Data(vals));
    case 'bool':
      return column(name, new Bool(), true, boolData(vals));
    default:
      return column(name, new Utf8(), true, utf8Data(vals));
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
 * Builds the dataset: one row per task that has a final record ending it (done or failed), in task-id order
 * (plus pending tasks, an interrupted one among them, with `includePending`). Columns: `task_id`, `batch`, the params in `paramNames` order, the result
 * keys in first-seen order, then {@link METADATA_COLUMNS}. See docs/dataset.md for names and types.
 */
export function buildDataset(
  tasks: TaskRow[],
  finals: Map<number, TaskRecord>,
  paramNames: string[],
  opts: BuildDatasetOptions = {},
): Table {
  let rows = tasks.filter((t) => opts.includePending === true || endsTask(finals.get(t.id)));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i - 1].id >= rows[i].id) {
      rows = [...rows].sort((a, b) => a.id - b.id);
      break;
    }
  }
  const n = rows.length;
  const recs: Array<TaskRecord | undefined> = rows.map((t) => {
    const r = finals.get(t.id);
    return endsTask(r) ? r : undefined;
  });

  const columns: Column[] = [];
  columns.push(column('task_id', new Int32(), false, int32Data(rows.map((t) => t.id))));
  columns.push(column('batch', new Int32(), true, int32Data(rows.map((t) => t.batch))));

  const names = new Set<string>(RESERVED);
  const paramCols: Array<[string, string]> = [];
  for (const p of paramNames) {
    if (paramCols.some(([raw]) => raw === p)) continue;
    const col = freeName(p, 'param_', (s) => names.has(s));
    names.add(col);
    paramCols.push([p, col]);
  }
  for (const [raw, col] of paramCols) {
    const vals = rows.map((t) => t.params?.[raw]);
    columns.push(inferredColumn(col, inferKind(vals, true), vals));
  }

  // Transposed in one pass: keyed loads on 10^5 result objects per column were the slowest part of the build.
  const resultValues = new Map<string, unknown[]>();
  for (let i = 0; i < n; i++) {
    const r = recs[i];
    if (r === undefined || r.status !== 'done' || r.result === null || typeof r.result !== 'object') continue;
    const res = r.result;
    for (const k in res) {
      let vals = resultValues.get(k);
      if (vals === undefined) {
        vals = new Array<unknown>(n);
        resultValues.set(k, vals);
      }
      vals[i] = res[k];
    }
  }
  const taken = new Set<string>([...names, ...resultValues.keys()]);
  for (const [key, vals] of resultValues) {
    let col = key;
    if (names.has(key)) {
      col = freeName(`result_${key}`, 'result_', (s) => taken.has(s));
      taken.add(col);
    }
    columns.push(inferredColumn(col, inferKind(vals, false), vals));
  }

  const status: unknown[] = new Array(n);
  const reason: unknown[] = new Array(n);
  const exitCode: unknown[] = new Array(n);
  const signal: unknown[] = new Array(n);
  const attempt: unknown[] = new Array(n);
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
  columns.push(column('host', new Utf8(), true, utf8Data(host)));
  columns.push(column('job_id', new Utf8(), true, utf8Data(jobId)));
  columns.push(column('start_time', new TimestampMillisecond('UTC'), true, timestampData(start)));
  columns.push(column('end_time', new TimestampMillisecond('UTC'), true, timestampData(end)));
  columns.push(column('duration_s', new Float64(), true, float64Data(duration)));
  columns.push(column('task_seed', new Int64(), true, int64Data(rows.map((t) => t.seed))));

  const fields = columns.map((c) => c.field);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns.map((c) => c.data) });
  return new Table(new RecordBatch(new Schema(fields), struct));
}
