// RFC 4180 CSV text from columns reduced to plain arrays: no Arrow at run time, so it can run in a worker thread.

const NEEDS_QUOTES = /[",\r\n]/;

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

/**
 * Validity bits (bit `offset + i` set: row i is non-null) or null when no row is null. Values are
 * indexed by row from 0, bits (validity, booleans) from `offset`, as in a sliced Arrow Data.
 */
interface Rows {
  validity: Uint8Array | null;
  offset: number;
}

/**
 * One column as the CSV needs it. Each variant is a few typed arrays (cheap to post to a worker),
 * except `fields`: the finished text of types the collector never builds.
 */
/** Numbers print as JS `String(n)` (shortest round-trip), bigints (int64) as their digits. */
export type NumberValues =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export type CsvColumn =
  | (Rows & { kind: 'number'; values: NumberValues })
  | (Rows & { kind: 'bool'; bits: Uint8Array })
  /** int64 times in units of `msPerUnit` milliseconds; printed as ISO-8601 UTC, truncated to the millisecond. */
  | (Rows & { kind: 'timestamp'; values: BigInt64Array; msPerUnit: number })
  /** UTF-8 bytes; `offsets[i]`..`offsets[i + 1]` is row i (offsets are indexed from 0, like values). */
  | (Rows & { kind: 'utf8'; bytes: Uint8Array; offsets: Int32Array })
  | { kind: 'fields'; fields: Array<string | null> };

export interface CsvBatch {
  rows: number;
  columns: CsvColumn[];
}

// Enough rows per chunk to amortise the per-chunk work, few enough to keep peak memory small.
const ROWS_PER_CHUNK = 8192;

function valid(c: Rows, i: number): boolean {
  if (c.validity === null) return true;
  const j = c.offset + i;
  return ((c.validity[j >> 3] >> (j & 7)) & 1) === 1;
}

/**
 * The cells of rows [from, to) of one column, indexed from 0. Numbers, bigints and booleans stay
 * unconverted and nulls stay null: Array#join turns them into their shortest round-trip text and
 * empty fields natively, with far less garbage than String() per cell (and faster than appending
 * cells to per-row strings column by column, measured).
 */
function cells(col: CsvColumn, from: number, to: number): ArrayLike<unknown> {
  const out: unknown[] = new Array(to - from);
  switch (col.kind) {
    case 'number': {
      const v = col.values;
      if (col.validity === null) return v.subarray(from, to);
      for (let i = from; i < to; i++) out[i - from] = valid(col, i) ? v[i] : null;
      return out;
    }
    case 'bool':
      for (let i = from; i < to; i++) {
        const j = col.offset + i;
        out[i - from] = valid(col, i) ? ((col.bits[j >> 3] >> (j & 7)) & 1) === 1 : null;
      }
      return out;
    case 'timestamp': {
      const iso = isoFormatter();
      // The two 32-bit halves give the same double as Number(bigint) (one rounding), without allocating a BigInt per cell.
      const words = new Int32Array(col.values.buffer, col.values.byteOffset, col.values.length * 2);
      for (let i = from; i < to; i++) {
        if (!valid(col, i)) out[i - from] = null;
        else {
          const t = words[2 * i + 1] * 4294967296 + (words[2 * i] >>> 0);
          out[i - from] = iso(col.msPerUnit === 1 ? t : Math.floor(t * col.msPerUnit));
        }
      }
      return out;
    }
    case 'utf8': {
      const { bytes, offsets } = col;
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const lo = offsets[from];
      const hi = offsets[to];
      // Decode the window once; when it is ASCII, byte offsets are string offsets and slicing is enough.
      const text = buf.toString('utf8', lo, hi);
      const ascii = text.length === hi - lo;
      for (let i = from; i < to; i++) {
        if (!valid(col, i)) out[i - from] = null;
        else out[i - from] = csvField(ascii ? text.slice(offsets[i] - lo, offsets[i + 1] - lo) : buf.toString('utf8', offsets[i], offsets[i + 1]));
      }
      return out;
    }
    case 'fields':
      return col.fields.slice(from, to);
  }
}

/** Yields the CSV text: the header line, then chunks of complete CRLF-terminated rows. */
export function* renderCsvText(names: string[], batches: CsvBatch[], rowsPerChunk = ROWS_PER_CHUNK): Generator<string> {
  yield names.map(csvField).join(',') + '\r\n';
  const width = names.length;
  if (width === 0) return;
  const row: unknown[] = new Array(width);
  for (const batch of batches) {
    for (let from = 0; from < batch.rows; from += rowsPerChunk) {
      const to = Math.min(batch.rows, from + rowsPerChunk);
      const srcs = batch.columns.map((col) => cells(col, from, to));
      const lines: string[] = new Array(to - from);
      for (let r = 0; r < to - from; r++) {
        for (let c = 0; c < width; c++) row[c] = srcs[c][r];
        lines[r] = row.join(',');
      }
      yield lines.join('\r\n') + '\r\n';
    }
  }
}
