// Arrow table -> RFC 4180 CSV text, produced in chunks of whole rows (pure; the writer streams them to disk).
import { makeVector, TimeUnit, Type, type Data, type Table, type Timestamp } from './arrow.js';

const NEEDS_QUOTES = /[",\r\n]/;
// Enough rows per chunk to amortise the per-chunk work, few enough that a chunk's strings (its JSON text and the
// copies made of it, ~60 KB at a typical 110-byte row) stay below V8's large-object size (128 KB) and die in the young
// generation: chunks of 8192 rows made ~4 MB of large strings each, which stay until a full GC (a collect's peak).
const ROWS_PER_CHUNK = 512;

/** One CSV field: quoted only when it must be; an empty string is `""` so it stays distinct from null. */
export function csvField(s: string): string {
  if (s === '') return '""';
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const DAY_MS = 86_400_000;
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * Epoch ms -> the same text as Date#toISOString, several times faster: the task times of an ensemble
 * share few days, so the date part is cached and the time of day is assembled from lookup tables.
 */
export function isoFormatter(): (ms: number) => string {
  let lastDay = NaN;
  let prefix = '';
  return (ms) => {
    const day = Math.floor(ms / DAY_MS);
    if (day !== lastDay) {
      lastDay = day;
      prefix = new Date(day * DAY_MS).toISOString().slice(0, -13); // "YYYY-MM-DDT"
    }
    let r = ms - day * DAY_MS;
    const h = Math.floor(r / 3_600_000);
    r -= h * 3_600_000;
    const m = Math.floor(r / 60_000);
    r -= m * 60_000;
    const sec = Math.floor(r / 1000);
    r -= sec * 1000;
    return prefix + PAD2[h] + ':' + PAD2[m] + ':' + PAD2[sec] + '.' + PAD3[r] + 'Z';
  };
}

/** Whether row `i` of `data` is non-null (its validity bit). */
export function isValid(data: Data, i: number): boolean {
  if (data.nullCount === 0) return true;
  const bitmap = data.nullBitmap;
  if (bitmap === undefined || bitmap.length === 0) return true;
  const j = data.offset + i;
  return ((bitmap[j >> 3] >> (j & 7)) & 1) === 1;
}

function bigintAsString(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? String(v) : v;
}

/**
 * The cells of rows [from, to) of one column, indexed from 0. Numbers, bigints and booleans stay
 * unconverted and nulls stay null: Array#join turns them into their shortest round-trip text and
 * empty fields natively, with far less garbage than String() per cell.
 */
function cells(data: Data, from: number, to: number): ArrayLike<unknown> {
  const values = data.values as ArrayLike<unknown> & { subarray?: (a: number, b: number) => ArrayLike<unknown> };
  const nulls = data.nullCount > 0;
  switch (data.typeId) {
    case Type.Float:
    case Type.Int: {
      if (!nulls && values.subarray !== undefined) return values.subarray(from, to);
      const out: unknown[] = new Array(to - from);
      for (let i = from; i < to; i++) out[i - from] = isValid(data, i) ? values[i] : null;
      return out;
    }
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const out: unknown[] = new Array(to - from);
      for (let i = from; i < to; i++) {
        const j = data.offset + i;
        out[i - from] = nulls && !isValid(data, i) ? null : ((bits[j >> 3] >> (j & 7)) & 1) === 1;
      }
      return out;
    }
    case Type.Timestamp: {
      const unit = (data.type as Timestamp).unit;
      const iso = isoFormatter();
      // Other units are not built by the collector; they are truncated to the millisecond.
      const scale = [1000, 1, 1e-3, 1e-6][unit] ?? 1;
      const out: unknown[] = new Array(to - from);
      for (let i = from; i < to; i++) {
        if (nulls && !isValid(data, i)) out[i - from] = null;
        else out[i - from] = iso(unit === TimeUnit.MILLISECOND ? Number(values[i]) : Math.floor(Number(values[i]) * scale));
      }
      return out;
    }
    case Type.Utf8: {
      const bytes = data.values as Uint8Array;
      const offsets = data.valueOffsets as Int32Array;
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const lo = offsets[from];
      const hi = offsets[to];
      // Decode the window once; when it is ASCII, byte offsets are string offsets and slicing is enough.
      const text = buf.toString('utf8', lo, hi);
      const ascii = text.length === hi - lo;
      const out: unknown[] = new Array(to - from);
      for (let i = from; i < to; i++) {
        if (nulls && !isValid(data, i)) out[i - from] = null;
        else {
          const s = ascii ? text.slice(offsets[i] - lo, offsets[i + 1] - lo) : buf.toString('utf8', offsets[i], offsets[i + 1]);
          out[i - from] = csvField(s);
        }
      }
      return out;
    }
    default: {
      // Types the collector never builds (a table read from elsewhere): slow but correct.
      const vec = makeVector(data);
      const out: unknown[] = new Array(to - from);
      for (let i = from; i < to; i++) {
        const v: unknown = isValid(data, i) ? vec.get(i) : null;
        out[i - from] = v === null || v === undefined ? null : csvField(typeof v === 'string' ? v : JSON.stringify(v, bigintAsString));
      }
      return out;
    }
  }
}

/**
 * Whether rows [from, to) of a column, as {@link cells} gives them, can be printed by JSON.stringify:
 * plain numbers (not bigints), no nulls, all finite. For those JSON.stringify writes exactly String(x)
 * (-0 as 0, 1e+21, 5e-324: both are ToString); NaN and ±Infinity would come out as null.
 */
function jsonNumbers(data: Data, vals: ArrayLike<unknown>): vals is ArrayLike<number> {
  if ((data.typeId !== Type.Float && data.typeId !== Type.Int) || data.nullCount > 0 || typeof vals[0] !== 'number') return false;
  const nums = vals as ArrayLike<number>;
  for (let i = 0; i < nums.length; i++) if (!Number.isFinite(nums[i])) return false;
  return true;
}

/**
 * Each row's text of a run of adjacent number columns, from one JSON.stringify of the whole chunk:
 * it formats the numbers straight into its output, about twice as fast as Array#join converting each
 * one to a string of its own (number formatting was the largest part of the collect time).
 */
function numberRun(cols: Array<ArrayLike<number>>, rows: number): string[] {
  const width = cols.length;
  const matrix: number[][] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const row: number[] = new Array(width);
    for (let c = 0; c < width; c++) row[c] = cols[c][r];
    matrix[r] = row;
  }
  // "[[a,b],[c,d]]" -> ["a,b", "c,d"]: numbers contain neither brackets nor commas.
  return JSON.stringify(matrix).slice(2, -2).split('],[');
}

/**
 * The fields of rows [from, to) by output segment: a run of two or more adjacent number columns
 * printable as JSON becomes one segment of "a,b,c" texts, every other column is a segment of its own.
 */
function segments(cols: Data[], from: number, to: number): Array<ArrayLike<unknown>> {
  const out: Array<ArrayLike<unknown>> = [];
  let run: Array<ArrayLike<number>> = [];
  const flush = (): void => {
    if (run.length === 1) out.push(run[0]);
    else if (run.length > 1) out.push(numberRun(run, to - from));
    run = [];
  };
  for (const d of cols) {
    const vals = cells(d, from, to);
    if (jsonNumbers(d, vals)) run.push(vals);
    else {
      flush();
      out.push(vals);
    }
  }
  flush();
  return out;
}

// Characters JSON.stringify would escape and CSV would quote: a text without them (and not empty, which is `""`) is its own field either way.
const NOT_PLAIN = /[\x00-\x1f",\\]/;

/** Whether every non-null string of rows [from, to) of a Utf8 column is plain (see NOT_PLAIN). */
function plainStrings(data: Data, from: number, to: number): boolean {
  const offsets = data.valueOffsets as Int32Array;
  for (let i = from; i < to; i++) if (offsets[i + 1] === offsets[i] && isValid(data, i)) return false;
  const bytes = data.values as Uint8Array;
  // bytes of multi-byte characters are all 0x80 or more: the ASCII test holds on the bytes
  return !NOT_PLAIN.test(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', offsets[from], offsets[to]));
}

/**
 * The CSV text of rows [from, to) from one JSON.stringify of all their fields, or null when a field
 * would print otherwise: a string to quote or escape, or a column of another type. Numbers print
 * as in Array#join (finite ones in JSON are their String(); the others go in as that string), nulls
 * go in as "" and strings with their quotes, which are then taken out; each row ends with a "\n"
 * field, printed as `\n`, which no plain field holds. Several times faster than joining each row.
 */
function plainRows(cols: Data[], from: number, to: number): string | null {
  const stride = cols.length + 1;
  const n = to - from;
  const flat: unknown[] = new Array(n * stride);
  for (const d of cols) {
    const plain = d.typeId === Type.Utf8 ? plainStrings(d, from, to) : d.typeId === Type.Float || d.typeId === Type.Int || d.typeId === Type.Bool || d.typeId === Type.Timestamp;
    if (!plain) return null;
  }
  for (let c = 0; c < cols.length; c++) {
    const vals = cells(cols[c], from, to);
    for (let r = 0, k = c; r < n; r++, k += stride) {
      const v = vals[r];
      if (typeof v === 'number') flat[k] = Number.isFinite(v) ? v : String(v);
      else if (typeof v === 'bigint') flat[k] = Number.isSafeInteger(Number(v)) ? Number(v) : String(v);
      else flat[k] = v ?? '';
    }
  }
  for (let k = cols.length; k < flat.length; k += stride) flat[k] = '\n';
  // "[a,b,\n,c,d,\n]" -> "a,b\r\nc,d\r\n"
  return JSON.stringify(flat).replaceAll('"', '').replaceAll(',\\n,', '\r\n').slice(1, -4) + '\r\n';
}

/** The CSV header line of `table` (CRLF-terminated). */
export function csvHeader(table: Table): string {
  return table.schema.fields.map((f) => csvField(f.name)).join(',') + '\r\n';
}

/** Yields the CSV text of the rows of `table` (no header) in chunks of complete CRLF-terminated rows. */
export function* renderCsvRows(table: Table, rowsPerChunk = ROWS_PER_CHUNK): Generator<string> {
  if (table.schema.fields.length === 0) return;
  for (const batch of table.batches) {
    const cols: Data[] = batch.data.children;
    for (let from = 0; from < batch.numRows; from += rowsPerChunk) {
      const to = Math.min(batch.numRows, from + rowsPerChunk);
      const plain = plainRows(cols, from, to);
      if (plain !== null) {
        yield plain;
        continue;
      }
      const srcs = segments(cols, from, to);
      const width = srcs.length;
      const row: unknown[] = new Array(width);
      const lines: string[] = new Array(to - from);
      for (let r = 0; r < to - from; r++) {
        for (let c = 0; c < width; c++) row[c] = srcs[c][r];
        lines[r] = row.join(',');
      }
      yield lines.join('\r\n') + '\r\n';
    }
  }
}

/** Yields the CSV text of `table`: the header line, then chunks of complete CRLF-terminated rows. */
export function* renderCsvChunks(table: Table, rowsPerChunk = ROWS_PER_CHUNK): Generator<string> {
  yield csvHeader(table);
  yield* renderCsvRows(table, rowsPerChunk);
}
