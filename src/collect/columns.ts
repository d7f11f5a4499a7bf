// Typed-array Arrow columns from plain values (one pass each, nulls as validity bits) and the kind a column of values infers.
import { Bool, Field, Float64, Int32, Int64, makeData, TimestampMillisecond, Utf8, type Data, type DataType } from './arrow.js';
import { classOf, type ValueClass } from '../records/result-shape.js';
import { parseIso } from '../util/iso-time.js';

export type Kind = 'int64' | 'float64' | 'bool' | 'utf8';
/** One column's values by row; holes and undefined are nulls. */
type Values = ArrayLike<unknown>;

/**
 * The kind of a column from the classes of its values, added in any order and in batches:
 * all numbers -> float64 (int64 if `allowInt` and all are safe integers); all booleans -> bool; else utf8.
 */
export class KindCounter {
  private seen = 0;
  add(c: ValueClass): void {
    this.seen |= 1 << c;
  }
  kind(allowInt: boolean): Kind {
    const nums = this.seen & 0b110;
    const bools = this.seen & 0b1000;
    const others = this.seen & 0b10000;
    if (others === 0 && bools === 0 && nums !== 0) return allowInt && nums === 0b10 ? 'int64' : 'float64';
    if (others === 0 && nums === 0 && bools !== 0) return 'bool';
    return 'utf8';
  }
}

/** The kind of a column of values (holes and undefined are nulls), see {@link KindCounter}. */
export function inferKind(vals: Values, allowInt: boolean): Kind {
  const k = new KindCounter();
  for (let i = 0; i < vals.length; i++) k.add(classOf(vals[i]));
  return k.kind(allowInt);
}

export interface Column {
  field: Field;
  data: Data;
}

export function column<T extends DataType>(name: string, type: T, nullable: boolean, data: Data<T>): Column {
  return { field: new Field(name, type, nullable), data: data as unknown as Data };
}

/** Validity bitmap helper: bits set for valid rows; omitted from the Data when nothing is null. */
export class Validity {
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

export function float64Data(vals: Values): Data<Float64> {
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

export function int64Data(vals: Values): Data<Int64> {
  const { values, v } = int64Words(vals, (x) => (typeof x === 'number' ? x : NaN));
  return makeData({ type: new Int64(), length: vals.length, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

export function int32Data(vals: Values): Data<Int32> {
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

export function boolData(vals: Values): Data<Bool> {
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
  if (s.endsWith('Z') || !s.includes('T') || HAS_ZONE.test(s)) return parseIso(s);
  return Date.parse(s + 'Z');
}

/** A timestamp value (an ISO-8601 string) as epoch milliseconds; NaN when unparseable or missing. */
export function timestampMs(x: unknown): number {
  return typeof x === 'string' ? parseUtc(x) : NaN;
}

/** ISO-8601 strings, or epoch milliseconds from {@link timestampMs} -> timestamps; unparseable or missing -> null. */
export function timestampData(vals: Values): Data<TimestampMillisecond> {
  const { values, v } = int64Words(vals, (x) => (typeof x === 'number' ? x : timestampMs(x)));
  return makeData({ type: new TimestampMillisecond('UTC'), length: vals.length, nullCount: v.nulls, nullBitmap: v.bitmap(), data: values });
}

/** Strings as-is, other non-null values JSON-encoded. */
export function utf8Data(vals: Values): Data<Utf8> {
  const n = vals.length;
  const strs: string[] = [];
  const charOffsets = new Int32Array(n + 1);
  const v = new Validity(n);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const x = vals[i];
    if (x === null || x === undefined) v.nulls++;
    else {
      // a result's NaN or ±Infinity is its text, as in dataset.csv (JSON.stringify would write the text null)
      const s = typeof x === 'string' ? x : typeof x === 'number' && !Number.isFinite(x) ? String(x) : JSON.stringify(x);
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

export function inferredColumn(name: string, kind: Kind, vals: Values): Column {
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

