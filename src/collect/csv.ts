// Arrow table -> RFC 4180 CSV text: reduces the columns to plain arrays (csv-text.ts renders them, also in a worker).
import { makeVector, Type, type Data, type Table, type Timestamp } from 'apache-arrow';
import { csvField, renderCsvText, type CsvBatch, type CsvColumn, type NumberValues } from './csv-text.js';

export { csvField, isoFormatter } from './csv-text.js';

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

// Milliseconds per unit, indexed by TimeUnit (SECOND, MILLISECOND, MICROSECOND, NANOSECOND).
const MS_PER_UNIT = [1000, 1, 1e-3, 1e-6];

interface View<T> {
  buffer: ArrayBufferLike;
  byteLength: number;
  slice(): T;
}

/**
 * The array itself when it spans its whole buffer (the collector's columns), else a copy: a view into
 * a larger buffer (a table decoded from one IPC message) would take the whole buffer along to a worker.
 */
function own<T extends View<T>>(a: T): T {
  return a.byteLength === a.buffer.byteLength ? a : a.slice();
}

/** One column as plain arrays: the Arrow buffers themselves, or exact copies of views into larger ones. */
function csvColumn(data: Data): CsvColumn {
  const bitmap = data.nullBitmap;
  const validity = data.nullCount > 0 && bitmap !== undefined && bitmap.length > 0 ? own(bitmap) : null;
  const rows = { validity, offset: data.offset };
  switch (data.typeId) {
    case Type.Float:
    case Type.Int:
      return { ...rows, kind: 'number', values: own(data.values as NumberValues) };
    case Type.Bool:
      return { ...rows, kind: 'bool', bits: own(data.values as Uint8Array) };
    case Type.Timestamp:
      // Other units are not built by the collector; they are truncated to the millisecond.
      return { ...rows, kind: 'timestamp', values: own(data.values as BigInt64Array), msPerUnit: MS_PER_UNIT[(data.type as Timestamp).unit] ?? 1 };
    case Type.Utf8:
      return { ...rows, kind: 'utf8', bytes: own(data.values as Uint8Array), offsets: own(data.valueOffsets as Int32Array) };
    default: {
      // Types the collector never builds (a table read from elsewhere): slow but correct.
      const vec = makeVector(data);
      const fields: Array<string | null> = new Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v: unknown = isValid(data, i) ? vec.get(i) : null;
        fields[i] = v === null || v === undefined ? null : csvField(typeof v === 'string' ? v : JSON.stringify(v, bigintAsString));
      }
      return { kind: 'fields', fields };
    }
  }
}

/** The table's record batches as plain-array columns, for {@link renderCsvText} here or in a worker. */
export function csvBatches(table: Table): CsvBatch[] {
  return table.batches.map((b) => ({ rows: b.numRows, columns: b.data.children.map(csvColumn) }));
}

/** Yields the CSV text of `table`: the header line, then chunks of complete CRLF-terminated rows. */
export function renderCsvChunks(table: Table, rowsPerChunk?: number): Generator<string> {
  return renderCsvText(table.schema.fields.map((f) => f.name), csvBatches(table), rowsPerChunk);
}
