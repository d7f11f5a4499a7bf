// The dataset-writer seam: each output format is one DatasetWriter, and the dataset, its live parts and imports are written through the list.
import type { Table } from './arrow.js';
import { DATASET_FORMATS, DEFAULT_DATASET, type DatasetCompression, type DatasetFormat, type DatasetSpec } from '../config/types.js';
import { UsageError } from '../errors.js';
import { csvHeader, renderCsvChunks, renderCsvRows } from './csv.js';
import { Hdf5Encoder } from './hdf5.js';
import { encodeParquet, ParquetStream } from './parquet.js';

export type { DatasetFormat };

/** Where an encoder's bytes go, in order; the next chunk comes once the last one is taken. */
export type ChunkSink = (chunk: string | Uint8Array) => Promise<void>;

/** One file being encoded from tables of one schema, added in row order. */
export interface DatasetEncoder {
  add(table: Table): Promise<void>;
  /** Writes what is left (the last CSV rows, the Parquet footer). */
  end(): Promise<void>;
  /** Lets go of what it holds when the file is given up (another format's writer failed): the HDF5 file's handle. */
  abort?(): void;
}

/** The file an encoder fills: created empty under a temp name, renamed once complete. */
export interface DatasetTarget {
  path: string;
  /** Appends bytes to `path` (a format whose library writes the file itself, HDF5, ignores it). */
  sink: ChunkSink;
}

/** One output format: how tables become its file. */
export interface DatasetWriter {
  /** Its file is `layout.dataset(format)`. */
  readonly format: DatasetFormat;
  /** An encoder of a file of many tables (the dataset), holding about one table's bytes at a time. */
  open(target: DatasetTarget): DatasetEncoder;
}

/** The formats of the live dataset's parts (docs/watching.md). */
export type PartFormat = 'parquet' | 'csv';

/** A format the live dataset's parts are written in: a whole small file at once. */
export interface PartWriter extends DatasetWriter {
  readonly format: PartFormat;
  /** The content of a file holding just `table`, as chunks written in this order (the live dataset's parts). */
  encode(table: Table): Iterable<string | Uint8Array>;
}

// CSV text is written in buffers of this size, one write(2) each.
const CSV_WRITE_BYTES = 1 << 20;

/**
 * CSV chunks as ~1 MiB buffers for write(2), each chunk encoded straight into the buffer. Joining the chunks into a
 * 1 MiB string first made one more large string per write (large-object space, which only a full GC frees: at a
 * collect's peak they were several MB of its heap). A new buffer each time: the last one may still be written.
 */
function* toWrites(chunks: Iterable<string>): Generator<Uint8Array> {
  let buf = Buffer.allocUnsafe(CSV_WRITE_BYTES);
  let used = 0;
  for (const c of chunks) {
    // at most 3 UTF-8 bytes a UTF-16 unit: a chunk that might not fit goes into the next buffer
    if (used > 0 && used + 3 * c.length > buf.length) {
      yield buf.subarray(0, used);
      buf = Buffer.allocUnsafe(CSV_WRITE_BYTES);
      used = 0;
    }
    if (3 * c.length > buf.length) yield Buffer.from(c, 'utf8');
    else used += buf.write(c, used, 'utf8');
  }
  if (used > 0) yield buf.subarray(0, used);
}

/** The CSV header with the first table, then each table's rows, in writes of up to 1 MiB. */
function csvEncoder(sink: ChunkSink): DatasetEncoder {
  let header = true;
  return {
    async add(table) {
      const rows = renderCsvRows(table);
      const chunks = header ? (function* () { yield csvHeader(table); yield* rows; })() : rows;
      header = false;
      for (const b of toWrites(chunks)) await sink(b);
    },
    end: async () => undefined,
  };
}

/** Parquet with the codec `compression` (the parts: snappy). */
export function parquetWriter(compression: DatasetCompression = 'snappy'): PartWriter {
  return {
    format: 'parquet',
    encode: (table) => [encodeParquet(table, compression)],
    open: ({ sink }) => new ParquetStream(sink, compression),
  };
}

export const csvWriter: PartWriter = { format: 'csv', encode: (table) => toWrites(renderCsvChunks(table)), open: ({ sink }) => csvEncoder(sink) };

/** dataset.h5 (docs/dataset.md), gzip-compressed when `compression` is gzip: the codec h5py has built in. */
export function hdf5Writer(compression: DatasetCompression): DatasetWriter {
  return { format: 'hdf5', open: ({ path }) => new Hdf5Encoder(path, compression) };
}

/** The formats the live dataset's parts are written in (Parquet first: it is the one arrayflow reads back). */
export const PART_WRITERS: readonly PartWriter[] = [parquetWriter(), csvWriter];

/**
 * The writers of a dataset `spec` (default: Parquet and CSV, snappy), in a fixed order; `dataset.parquet` is always
 * among them: arrayflow reads it back (summary, report, adaptive rounds).
 */
export function datasetWriters(spec: DatasetSpec = DEFAULT_DATASET): DatasetWriter[] {
  if (!spec.formats.includes('parquet')) {
    throw new UsageError(`dataset formats ${spec.formats.join(',')} leave out parquet, which arrayflow reads back (summary, report, adaptive rounds); add it, e.g. parquet,${spec.formats.join(',')}`);
  }
  const all: Record<DatasetFormat, () => DatasetWriter> = { parquet: () => parquetWriter(spec.compression), csv: () => csvWriter, hdf5: () => hdf5Writer(spec.compression) };
  return DATASET_FORMATS.filter((f) => spec.formats.includes(f)).map((f) => all[f]());
}

/** The path of each format's file written, as {@link writeDataset} returns them (Parquet always). */
export type DatasetFiles = { parquet: string } & Partial<Record<DatasetFormat, string>>;
