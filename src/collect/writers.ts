// The dataset-writer seam: each output format is one DatasetWriter, and the dataset, its live parts and imports are written through the list.
import type { Table } from 'apache-arrow';
import { csvHeader, renderCsvChunks, renderCsvRows } from './csv.js';
import { encodeParquet, ParquetStream } from './parquet.js';

/** An output format of the dataset; also the file extension (`dataset.<format>`, `dataset/part-N.<format>`). */
export type DatasetFormat = 'parquet' | 'csv';

/** Where an encoder's bytes go, in order; the next chunk comes once the last one is taken. */
export type ChunkSink = (chunk: string | Uint8Array) => Promise<void>;

/** One file being encoded from tables of one schema, added in row order. */
export interface DatasetEncoder {
  add(table: Table): Promise<void>;
  /** Writes what is left (the last CSV rows, the Parquet footer). */
  end(): Promise<void>;
}

/** One output format: how tables become the bytes of its file. */
export interface DatasetWriter {
  readonly format: DatasetFormat;
  /** The content of a file holding just `table`, as chunks written in this order (the live dataset's parts). */
  encode(table: Table): Iterable<string | Uint8Array>;
  /** An encoder of a file of many tables (the dataset), holding about one table's bytes at a time. */
  open(sink: ChunkSink): DatasetEncoder;
}

// CSV chunks are joined to roughly this size before each write(2).
const CSV_WRITE_BYTES = 1 << 20;

/** Groups small CSV chunks so the file is written in ~1 MiB writes. */
function* coalesce(chunks: Iterable<string>): Generator<string> {
  let parts: string[] = [];
  let size = 0;
  for (const c of chunks) {
    parts.push(c);
    size += c.length;
    if (size >= CSV_WRITE_BYTES) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}

/** The CSV header with the first table, then each table's rows, in ~1 MiB writes. */
function csvEncoder(sink: ChunkSink): DatasetEncoder {
  let header = true;
  return {
    async add(table) {
      const rows = renderCsvRows(table);
      const chunks = header ? (function* () { yield csvHeader(table); yield* rows; })() : rows;
      header = false;
      for (const c of coalesce(chunks)) await sink(c);
    },
    end: async () => undefined,
  };
}

export const parquetWriter: DatasetWriter = {
  format: 'parquet',
  encode: (table) => [encodeParquet(table)],
  open: (sink) => new ParquetStream(sink),
};

export const csvWriter: DatasetWriter = { format: 'csv', encode: (table) => coalesce(renderCsvChunks(table)), open: csvEncoder };

/** The formats every dataset is written in (Parquet first: it is the one arrayflow reads back). */
export const DATASET_WRITERS: readonly DatasetWriter[] = [parquetWriter, csvWriter];

/** The path of each format's file, as {@link writeDataset} returns them. */
export type DatasetFiles = Record<DatasetFormat, string>;
