// The dataset-writer seam: each output format is one DatasetWriter, and the dataset, its live parts and imports are written through the list.
import type { Table } from 'apache-arrow';
import { renderCsvChunks } from './csv.js';
import { encodeParquet } from './parquet.js';

/** An output format of the dataset; also the file extension (`dataset.<format>`, `dataset/part-N.<format>`). */
export type DatasetFormat = 'parquet' | 'csv';

/** One output format: how a table becomes the bytes of its file. */
export interface DatasetWriter {
  readonly format: DatasetFormat;
  /** The file's content as chunks, written in this order. */
  encode(table: Table): Iterable<string | Uint8Array>;
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

export const parquetWriter: DatasetWriter = { format: 'parquet', encode: (table) => [encodeParquet(table)] };

export const csvWriter: DatasetWriter = { format: 'csv', encode: (table) => coalesce(renderCsvChunks(table)) };

/** The formats every dataset is written in (Parquet first: it is the one arrayflow reads back). */
export const DATASET_WRITERS: readonly DatasetWriter[] = [parquetWriter, csvWriter];

/** The path of each format's file, as {@link writeDataset} returns them. */
export type DatasetFiles = Record<DatasetFormat, string>;
