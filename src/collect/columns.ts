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

/** Writes a safe integer into slot `i` of a little-endian int64 buffer without allocating a BigInt. */
function setInt64(words: Int32Array, i: number, x: number): void {
  const hi = Math.floor(x / 4294967296);
  words[2 * i] = (x - hi * 4294967296) | 0;
  words[2 * i + 1] = hi;
}

type NumberType = Int32 | Int64 | Float64 | TimestampMillisecond;

/**
 * A number column filled row by row, each row of 0..capacity-1 once, straight into its typed array, then taken as the
 * Arrow data of its first n rows. The collector's batches fill their fixed columns this way as each record is read: a
 * JS array of a batch's 32,768 values in between was a large object to V8 (which only a full GC frees), and one more
 * copy. Values that are not of the column (see each kind's {@link put}) are nulls.
 */
export abstract class NumberColumn<T extends NumberType> {
  private readonly validity: Validity;

  constructor(
    private readonly type: T,
    /** The values, one slot a row. */
    protected readonly buf: T['TArray'],
  ) {
    this.validity = new Validity(buf.length);
  }

  /** Stores `x` in row `i` if it is a value of the column; false: the row is null. */
  protected abstract put(i: number, x: unknown): boolean;

  set(i: number, x: unknown): void {
    if (this.put(i, x)) this.validity.valid(i);
    else this.validity.nulls++;
  }

  /** Rows 0..n-1 (every one set) as Arrow data, on the column's buffers. */
  data(n: number): Data<T> {
    const bits = this.validity.bitmap()?.subarray(0, (n + 7) >> 3);
    const props = { type: this.type, length: n, nullCount: this.validity.nulls, nullBitmap: bits, data: this.buf.subarray(0, n) };
    // the props of every NumberType have one shape (type, validity, values): typed as Int32's, the overload TS can pick
    return makeData(props as unknown as { type: Int32; length: number; nullCount: number; nullBitmap?: Uint8Array; data: Int32Array }) as unknown as Data<T>;
  }
}

/** Int32: numbers that are 32-bit integers. */
export class Int32Column extends NumberColumn<Int32> {
  constructor(capacity: number) {
    super(new Int32(), new Int32Array(capacity));
  }
  protected put(i: number, x: unknown): boolean {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < -0x80000000 || x > 0x7fffffff) return false;
    this.buf[i] = x;
    return true;
  }
}

/** Float64: any number (NaN and ±Infinity too). */
export class Float64Column extends NumberColumn<Float64> {
  constructor(capacity: number) {
    super(new Float64(), new Float64Array(capacity));
  }
  protected put(i: number, x: unknown): boolean {
    if (typeof x !== 'number') return false;
    this.buf[i] = x;
    return true;
  }
}

/** 64-bit little-endian integers: the values that {@link toInt} makes safe integers. */
abstract class WordsColumn<T extends Int64 | TimestampMillisecond> extends NumberColumn<T> {
  private readonly words: Int32Array;
  constructor(type: T, capacity: number) {
    super(type, new BigInt64Array(capacity));
    this.words = new Int32Array(this.buf.buffer);
  }
  protected abstract toInt(x: unknown): number;
  protected put(i: number, x: unknown): boolean {
    const v = this.toInt(x);
    if (!Number.isSafeInteger(v)) return false;
    setInt64(this.words, i, v);
    return true;
  }
}

/** Int64: numbers that are safe integers. */
export class Int64Column extends WordsColumn<Int64> {
  constructor(capacity: number) {
    super(new Int64(), capacity);
  }
  protected toInt(x: unknown): number {
    return typeof x === 'number' ? x : NaN;
  }
}

/** Timestamps (UTC, ms): ISO-8601 strings, or epoch milliseconds from {@link timestampMs}; unparseable: null. */
export class TimestampColumn extends WordsColumn<TimestampMillisecond> {
  constructor(capacity: number) {
    super(new TimestampMillisecond('UTC'), capacity);
  }
  protected toInt(x: unknown): number {
    return typeof x === 'number' ? x : timestampMs(x);
  }
}

/** Every value of `vals` set into `col`, as its data. */
function filled<T extends NumberType>(col: NumberColumn<T>, vals: Values): Data<T> {
  for (let i = 0; i < vals.length; i++) col.set(i, vals[i]);
  return col.data(vals.length);
}

export function float64Data(vals: Values): Data<Float64> {
  return filled(new Float64Column(vals.length), vals);
}

export function int64Data(vals: Values): Data<Int64> {
  return filled(new Int64Column(vals.length), vals);
}

export function int32Data(vals: Values): Data<Int32> {
  return filled(new Int32Column(vals.length), vals);
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
  return filled(new TimestampColumn(vals.length), vals);
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

