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
import type { TaskRecord, TaskRow } from '../records.js';

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
] as const;

const RESERVED = new Set<string>(['task_id', 'batch', ...METADATA_COLUMNS]);

export interface BuildDatasetOptions {
  /** Also emit tasks without a final record, with status "pending" and nulls elsewhere. */
  includePending?: boolean;
}

type Kind = 'int64' | 'float64' | 'bool' | 'utf8';
type Getter = (row: number) => unknown;

/** all numbers -> float64 (int64 if `allowInt` and all are safe integers); all booleans -> bool; else utf8. */
function inferKind(n: number, get: Getter, allowInt: boolean): Kind {
  let nums = 0;
  let ints = 0;
  let bools = 0;
  let others = 0;
  for (let i = 0; i < n; i++) {
    const v = get(i);
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

function float64Data(n: number, get: Getter): Data<Float64> {
  const values = new Float64Array(n);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = get(i);
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

function int64Data(n: number, get: Getter): Data<Int64> {
  const values = new BigInt64Array(n);
  const words = new Int32Array(values.buffer);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = get(i);
    if (typeof x === 'number' && Number.isSafeInteger(x)) {
      setInt64(words, i, x);
      v.valid(i);
    } else v.nulls++;
  }
  return makeData({ type: new Int64(), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

function int32Data(n: number, get: Getter): Data<Int32> {
  const values = new Int32Array(n);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = get(i);
    if (typeof x === 'number' && Number.isInteger(x) && x >= -0x80000000 && x <= 0x7fffffff) {
      values[i] = x;
      v.valid(i);
    } else v.nulls++;
  }
  return makeData({ type: new Int32(), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

function boolData(n: number, get: Getter): Data<Bool> {
  const values = new Uint8Array((n + 7) >> 3);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = get(i);
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
function timestampData(n: number, get: Getter): Data<TimestampMillisecond> {
  const values = new BigInt64Array(n);
  const words = new Int32Array(values.buffer);
  const v = new Validity(n);
  for (let i = 0; i < n; i++) {
    const x = get(i);
    const ms = typeof x === 'string' ? parseUtc(x) : NaN;
    if (Number.isFinite(ms)) {
      setInt64(words, i, ms);
      v.valid(i);
    } else v.nulls++;
  }
  return makeData({ type: new TimestampMillisecond('UTC'), length: n, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

/** Strings as-is, other non-null values JSON-encoded. */
function utf8Data(n: number, get: Getter): Data<Utf8> {
  const strs: string[] = [];
  const charOffsets = new Int32Array(n + 1);
  const v = new Validity(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const x = get(i);
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

function inferredColumn(name: string, kind: Kind, n: number, get: Getter): Column {
  switch (kind) {
    case 'int64':
      return column(name, new Int64(), true, int64Data(n, get));
    case 'float64':
      return column(name, new Float64(), true, float64Data(n, get));
    case 'bool':
      return column(name, new Bool(), true, boolData(n, get));
    default:
      return column(name, new Utf8(), true, utf8Data(n, get));
  }
}

/** A name not yet taken, made by prefixing `prefix` as often as needed. */
function freeName(name: string, prefix: string, taken: (s: string) => boolean): string {
  let out = name;
  while (taken(out)) out = prefix + out;
  return out;
}

/**
 * Builds the dataset: one row per task that has a final record, in task-id order (plus pending tasks
 * with `includePending`). Columns: `task_id`, `batch`, the params in `paramNames` order, the result
 * keys in first-seen order, then {@link METADATA_COLUMNS}. See docs/dataset.md for names and types.
 */
export function buildDataset(
  tasks: TaskRow[],
  finals: Map<number, TaskRecord>,
  paramNames: string[],
  opts: BuildDatasetOptions = {},
): Table {
  let rows = tasks.filter((t) => opts.includePending === true || finals.has(t.id));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i - 1].id >= rows[i].id) {
      rows = [...rows].sort((a, b) => a.id - b.id);
      break;
    }
  }
  const n = rows.length;
  const recs: Array<TaskRecord | undefined> = rows.map((t) => finals.get(t.id));
  const results: Array<Record<string, unknown> | undefined> = recs.map((r) =>
    r !== undefined && r.status === 'done' && r.result !== null && typeof r.result === 'object' ? r.result : undefined,
  );

  const columns: Column[] = [];
  columns.push(column('task_id', new Int32(), false, int32Data(n, (i) => rows[i].id)));
  columns.push(column('batch', new Int32(), true, int32Data(n, (i) => rows[i].batch)));

  const names = new Set<string>(RESERVED);
  const paramCols: Array<[string, string]> = [];
  for (const p of paramNames) {
    if (paramCols.some(([raw]) => raw === p)) continue;
    const col = freeName(p, 'param_', (s) => names.has(s));
    names.add(col);
    paramCols.push([p, col]);
  }
  for (const [raw, col] of paramCols) {
    const get: Getter = (i) => rows[i].params?.[raw];
    columns.push(inferredColumn(col, inferKind(n, get, true), n, get));
  }

  // Transpose once: keyed loads on 10^5 result objects per column were the slowest part of the build.
  const resultValues = new Map<string, unknown[]>();
  for (let i = 0; i < n; i++) {
    const res = results[i];
    if (res === undefined) continue;
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
    const get: Getter = (i) => vals[i];
    columns.push(inferredColumn(col, inferKind(n, get, false), n, get));
  }

  const meta = (f: (r: TaskRecord) => unknown): Getter => (i) => {
    const r = recs[i];
    return r === undefined ? null : f(r);
  };
  const str = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : String(v));
  columns.push(column('status', new Utf8(), false, utf8Data(n, (i) => recs[i]?.status ?? 'pending')));
  columns.push(column('reason', new Utf8(), true, utf8Data(n, meta((r) => (r.status === 'done' ? null : str(r.reason))))));
  columns.push(column('exit_code', new Int32(), true, int32Data(n, meta((r) => r.exit_code))));
  columns.push(column('signal', new Utf8(), true, utf8Data(n, meta((r) => str(r.signal)))));
  columns.push(column('attempt', new Int32(), true, int32Data(n, meta((r) => r.attempt))));
  columns.push(column('host', new Utf8(), true, utf8Data(n, meta((r) => str(r.host)))));
  columns.push(column('job_id', new Utf8(), true, utf8Data(n, meta((r) => str(r.job_id)))));
  columns.push(column('start_time', new TimestampMillisecond('UTC'), true, timestampData(n, meta((r) => r.start))));
  columns.push(column('end_time', new TimestampMillisecond('UTC'), true, timestampData(n, meta((r) => r.end))));
  columns.push(column('duration_s', new Float64(), true, float64Data(n, meta((r) => (Number.isFinite(r.duration_s) ? r.duration_s : null)))));

  const fields = columns.map((c) => c.field);
  const struct = makeData({ type: new Struct(fields), length: n, nullCount: 0, children: columns.map((c) => c.data) });
  return new Table(new RecordBatch(new Schema(fields), struct));
}
