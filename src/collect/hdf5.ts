// Arrow tables -> dataset.h5 with h5wasm (HDF5's C library in WebAssembly; its Node build writes the real file): one 1-D dataset per column, the layout of docs/dataset.md.
import { type Data, type Field, type Float, type Int, type Schema, type Table, type Timestamp, makeVector, Precision, TimeUnit, Type } from './arrow.js';
import type { Dataset as H5Dataset, File as H5File, Group as H5Group } from 'h5wasm/node';
import type { DatasetCompression } from '../config/types.js';
import { DataError } from '../errors.js';
import { toolVersion } from '../util/paths.js';
import { isValid } from './csv.js';

type H5 = (typeof import('h5wasm/node'))['default'];

let loaded: Promise<H5> | undefined;

/** h5wasm, instantiated once per process on first use (its 4 MB module is loaded only when a dataset.h5 is written). */
function loadH5(): Promise<H5> {
  loaded ??= import('h5wasm/node').then(async ({ default: h5 }) => {
    const module = await h5.ready;
    // HDF5 errors become exceptions carrying HDF5's message, instead of being printed to stderr
    module.activate_throwing_error_handler();
    return h5;
  });
  return loaded;
}

/**
 * HDF5 stamps every object header with the time it is written (H5Pset_obj_track_times, which h5wasm does not
 * expose); emscripten reads the clock through Date.now. Holding it at 0 during the (synchronous) HDF5 calls makes
 * the same rows give the same bytes, as for dataset.parquet and dataset.csv.
 */
function atEpoch<T>(fn: () => T): T {
  const now = Date.now;
  Date.now = () => 0;
  try {
    return fn();
  } finally {
    Date.now = now;
  }
}

/** Numeric columns are chunked (so they can grow batch by batch) in chunks of at most this many rows. */
const CHUNK_ROWS = 32 * 1024;
const GZIP_LEVEL = 4; // h5py's default gzip level

type Numbers = Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** How one Arrow column is stored: a numeric HDF5 type written batch by batch, or variable-length UTF-8 strings ('' at nulls). */
type Encoding = { kind: 'numbers'; dtype: string; values: (d: Data) => Numbers } | { kind: 'strings'; values: (d: Data) => string[] };

const INT_DTYPES: Record<number, string> = { 8: 'b', 16: 'h', 32: 'i', 64: 'q' };

/** `values` of a number column, with each null replaced by `fill` (the mask in /nulls says which rows are null). */
function filled(fill: number | bigint): (d: Data) => Numbers {
  return (d) => {
    const values = (d.values as Numbers).slice(0, d.length);
    if (d.nullCount > 0) for (let i = 0; i < d.length; i++) if (!isValid(d, i)) values[i] = fill as never;
    return values;
  };
}

function boolValues(d: Data): Int8Array {
  const bits = d.values as Uint8Array;
  const out = new Int8Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const j = d.offset + i;
    out[i] = !isValid(d, i) ? -1 : (bits[j >> 3] >> (j & 7)) & 1;
  }
  return out;
}

function utf8Values(d: Data): string[] {
  if (d.length === 0) return []; // an empty column may have no value buffer at all
  const bytes = d.values as Uint8Array;
  const offsets = d.valueOffsets as Int32Array;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Array<string>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = isValid(d, i) ? buf.toString('utf8', offsets[i], offsets[i + 1]) : '';
  return out;
}

/** Types the collector never builds (a table read from elsewhere, a half float): JSON text, as in the CSV file. */
function jsonValues(d: Data): string[] {
  const vec = makeVector(d);
  const out = new Array<string>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = isValid(d, i) ? JSON.stringify(vec.get(i), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) : '';
  return out;
}

function encodingOf(field: Field): Encoding {
  const t = field.type;
  switch (t.typeId) {
    case Type.Float: {
      const { precision } = t as Float;
      if (precision === Precision.HALF) return { kind: 'strings', values: jsonValues };
      return { kind: 'numbers', dtype: precision === Precision.DOUBLE ? '<d' : '<f', values: filled(NaN) };
    }
    case Type.Int: {
      const { bitWidth, isSigned } = t as Int;
      const code = INT_DTYPES[bitWidth];
      // nulls: the type's smallest value (signed) or its largest (unsigned)
      const fill = bitWidth === 64 ? (isSigned ? -(1n << 63n) : (1n << 64n) - 1n) : isSigned ? -(2 ** (bitWidth - 1)) : 2 ** bitWidth - 1;
      return { kind: 'numbers', dtype: `<${isSigned ? code : code.toUpperCase()}`, values: filled(fill) };
    }
    case Type.Timestamp:
      return { kind: 'numbers', dtype: '<q', values: filled(-(1n << 63n)) };
    case Type.Bool:
      return { kind: 'numbers', dtype: '|b', values: boolValues };
    case Type.Utf8:
      return { kind: 'strings', values: utf8Values };
    default:
      return { kind: 'strings', values: jsonValues };
  }
}

/** The attributes of /dataset that this module writes (table metadata of the same name is left out). */
const OWN_ATTRIBUTES = new Set(['columns', 'rows', 'arrayflow_version', 'layout']);

const TIME_UNITS: Record<TimeUnit, string> = { [TimeUnit.SECOND]: 's', [TimeUnit.MILLISECOND]: 'ms', [TimeUnit.MICROSECOND]: 'us', [TimeUnit.NANOSECOND]: 'ns' };

/**
 * A column's link name in its group: HDF5 names cannot hold '/' nor be '' or '.', so '%' and '/' are
 * percent-encoded, '.' is `%2E` and '' is `%` (the `name` attribute of each dataset keeps the column's name).
 */
export function linkName(column: string): string {
  if (column === '') return '%';
  if (column === '.') return '%2E';
  return column.replace(/[%/]/g, (c) => (c === '%' ? '%25' : '%2F'));
}

/** One column on its way into the file. */
interface ColumnState {
  field: Field;
  /** its link name under /dataset (and /nulls) */
  link: string;
  enc: Encoding;
  /** numbers: the growing HDF5 dataset (created with the first table) */
  dataset?: H5Dataset;
  /** strings: every row's text, written at the end (h5wasm writes no slice of a variable-length dataset) */
  strings: string[];
  /** rows that are null */
  nulls: number[];
}

/**
 * dataset.h5 written at `path` (an empty file already there, which HDF5 truncates) from tables of one schema
 * added in row order. Numeric columns are appended table by table; string columns and null masks are written
 * when the file ends. A file of the interface of the dataset writers' encoders (src/collect/writers.ts).
 */
export class Hdf5Encoder {
  private file: H5File | undefined;
  private columns: ColumnState[] = [];
  private rows = 0;
  private schema: Schema | undefined;

  constructor(
    private readonly path: string,
    private readonly compression: DatasetCompression,
  ) {}

  /** Closes the file, if open; what is written of it is left to the caller's clean-up. */
  abort(): void {
    try {
      this.file?.close();
    } catch {
      // an error that made the file be given up is the one to report
    }
    this.file = undefined;
  }

  /** {@link abort}, then throws `e` as a DataError naming the file. */
  private fail(e: unknown): never {
    this.abort();
    const why = (e instanceof Error ? e.message : String(e)).trim().split('\n')[0];
    throw new DataError(`cannot write ${this.path} as HDF5: ${why}`, { cause: e });
  }

  async add(table: Table): Promise<void> {
    const h5 = await loadH5();
    try {
      atEpoch(() => this.append(h5, table));
    } catch (e) {
      this.fail(e);
    }
  }

  private append(h5: H5, table: Table): void {
    if (this.file === undefined) {
      // the earliest file format that holds these objects, up to HDF5 1.10's: readable by h5py builds of 1.10 and later
      this.file = new h5.File(this.path, 'w', { libver: ['earliest', 'v110'] });
      this.schema = table.schema;
      this.columns = table.schema.fields.map((field) => ({ field, link: linkName(field.name), enc: encodingOf(field), strings: [], nulls: [] }));
      const group = this.file.create_group('dataset');
      const chunk = Math.max(1, Math.min(CHUNK_ROWS, table.numRows));
      for (const c of this.columns) {
        if (c.enc.kind !== 'numbers') continue;
        c.dataset = group.create_dataset({
          name: c.link,
          data: [],
          shape: [0],
          dtype: c.enc.dtype,
          maxshape: [null],
          chunks: [chunk],
          ...(this.compression === 'gzip' ? { compression: 'gzip' as const, compression_opts: GZIP_LEVEL } : {}),
        });
      }
    }
    for (const batch of table.batches) {
      const from = this.rows;
      this.columns.forEach((c, k) => {
        const d = batch.data.children[k];
        if (d.nullCount > 0) for (let i = 0; i < d.length; i++) if (!isValid(d, i)) c.nulls.push(from + i);
        if (c.enc.kind === 'numbers') {
          if (batch.numRows === 0) return;
          c.dataset!.resize([from + batch.numRows]);
          c.dataset!.write_slice([[from, from + batch.numRows]], c.enc.values(d));
        } else {
          for (const s of c.enc.values(d)) c.strings.push(s);
        }
      });
      this.rows += batch.numRows;
    }
  }

  /** Writes the string columns, the null masks and the attributes, and closes the file. */
  async end(): Promise<void> {
    if (this.file === undefined) throw new DataError(`cannot write ${this.path} as HDF5: no table was added (not even an empty one)`);
    const file = this.file;
    try {
      atEpoch(() => {
        const group = file.get('dataset') as H5Group;
        const nulls = this.columns.some((c) => c.nulls.length > 0) ? file.create_group('nulls') : undefined;
        for (const c of this.columns) {
          const name = c.link;
          if (c.enc.kind === 'strings') group.create_dataset({ name, data: c.strings, shape: [this.rows], dtype: 'S' });
          const ds = group.get(name) as H5Dataset;
          ds.create_attribute('name', c.field.name);
          ds.create_attribute('arrow_type', String(c.field.type));
          if (c.field.typeId === Type.Timestamp) {
            const t = c.field.type as Timestamp;
            ds.create_attribute('unit', TIME_UNITS[t.unit]);
            if (t.timezone) ds.create_attribute('timezone', t.timezone);
          }
          if (nulls && c.nulls.length > 0) {
            const mask = new Uint8Array(this.rows);
            for (const i of c.nulls) mask[i] = 1;
            nulls.create_dataset({ name, data: mask });
          }
        }
        group.create_attribute('columns', this.columns.map((c) => c.link), [this.columns.length], 'S');
        group.create_attribute('rows', new BigInt64Array([BigInt(this.rows)]), [], '<q');
        group.create_attribute('arrayflow_version', toolVersion());
        group.create_attribute('layout', 'arrayflow dataset, HDF5 layout 1 (docs/dataset.md)');
        // key-value metadata of the table (as in the Parquet file's Arrow schema), e.g. which columns are parameters
        for (const [k, v] of this.schema?.metadata ?? []) if (!OWN_ATTRIBUTES.has(k)) group.create_attribute(k, v);
        // closing flushes HDF5's metadata to the file: its errors (a full disk) are the file's too
        this.file = undefined;
        file.close();
      });
    } catch (e) {
      this.fail(e);
    }
  }
}
