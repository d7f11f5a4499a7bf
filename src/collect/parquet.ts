// Parquet as arrayflow writes and reads it: parquet-wasm encodes (snappy by default, deterministic bytes) and decodes.
import { readFile } from 'node:fs/promises';
import { RecordBatch, Table, tableFromIPC, tableToIPC, Type, type Schema } from './arrow.js';
import * as parquet from 'parquet-wasm';
import type { DatasetCompression } from '../config/types.js';
import { DataError } from '../errors.js';

/** parquet-wasm's codec of each `dataset.compression`; lz4 is LZ4_RAW, the LZ4 codec readers agree on (Parquet's older LZ4 is deprecated). */
const CODECS: Readonly<Record<DatasetCompression, parquet.Compression>> = {
  snappy: parquet.Compression.SNAPPY,
  zstd: parquet.Compression.ZSTD,
  gzip: parquet.Compression.GZIP,
  brotli: parquet.Compression.BROTLI,
  lz4: parquet.Compression.LZ4_RAW,
  none: parquet.Compression.UNCOMPRESSED,
};

// Large enough that typical ensembles are one row group; small enough that readers can skip by statistics.
const ROW_GROUP_ROWS = 128 * 1024;

/**
 * The writer settings of every Parquet file arrayflow writes: `compression` (default snappy, pyarrow's; zstd is
 * ~20% smaller but markedly slower in a cold wasm instance), dictionary pages only for string columns
 * (numbers and times are nearly all distinct, where a dictionary costs time and bytes), parquet-wasm's
 * constant created_by and no timestamps, so equal tables give equal bytes.
 */
function writerProperties(schema: Schema, compression: DatasetCompression): parquet.WriterProperties {
  let builder = new parquet.WriterPropertiesBuilder().setCompression(CODECS[compression]).setMaxRowGroupSize(ROW_GROUP_ROWS);
  for (const f of schema.fields) {
    if (f.typeId !== Type.Utf8) builder = builder.setColumnDictionaryEnabled(f.name, false);
  }
  // The schema's metadata (the dataset's provenance, an import's parameter list) also as the file's key-value
  // metadata, as pyarrow writes it: DuckDB's parquet_kv_metadata() and pyarrow's read_metadata() show it there.
  if (schema.metadata.size > 0) builder = builder.setKeyValueMetadata(new Map(schema.metadata));
  return builder.build();
}

/** `table` as a table in wasm memory (the caller frees it, or hands it to a call that takes ownership). */
function toWasm(table: Table): parquet.Table {
  return parquet.Table.fromIPCStream(tableToIPC(table, 'stream'));
}

/** Encodes a whole `table` as Parquet bytes (the live dataset's parts, a dataset of one table; see {@link ParquetStream}). */
export function encodeParquet(table: Table, compression: DatasetCompression = 'snappy'): Uint8Array {
  // writeParquet takes ownership of (and frees) both the wasm table and the properties.
  return parquet.writeParquet(toWasm(table), writerProperties(table.schema, compression));
}

/**
 * Parquet bytes from tables added one at a time, all of one schema: each goes into wasm memory,
 * parquet-wasm's stream writer cuts row groups of ROW_GROUP_ROWS rows (the same bytes as
 * {@link encodeParquet} of all the rows at once) and hands each one to `sink` as it is done, so
 * memory holds one row group, not the file. A file of a single table (an import) is encoded by one
 * encodeParquet: the same bytes, in about three quarters of the time the stream takes.
 */
export class ParquetStream {
  private readonly input: ReadableStream<parquet.RecordBatch>;
  private controller!: ReadableStreamDefaultController<parquet.RecordBatch>;
  private drained: (() => void) | null = null;
  private pump: Promise<void> | undefined;
  /** The first table, held until a second one comes (then both go to the stream) or the end. */
  private first: Table | undefined;

  constructor(
    private readonly sink: (chunk: Uint8Array) => Promise<void>,
    private readonly compression: DatasetCompression = 'snappy',
  ) {
    this.input = new ReadableStream<parquet.RecordBatch>(
      {
        start: (c) => {
          this.controller = c;
        },
        pull: () => {
          this.drained?.();
          this.drained = null;
        },
      },
      { highWaterMark: 1 },
    );
  }

  private async run(props: parquet.WriterProperties): Promise<void> {
    const out = (await parquet.transformParquetStream(this.input, props)) as ReadableStream<Uint8Array>;
    for await (const chunk of out) await this.sink(chunk);
  }

  /** Adds the rows of `table`; resolves once the writer has taken them (so at most two tables wait in memory). */
  async add(table: Table): Promise<void> {
    if (this.pump === undefined && this.first === undefined) {
      this.first = table;
      return;
    }
    const first = this.first;
    this.first = undefined;
    if (first !== undefined) await this.stream(first);
    await this.stream(table);
  }

  private async stream(table: Table): Promise<void> {
    this.pump ??= this.run(writerProperties(table.schema, this.compression));
    const wasm = toWasm(table);
    const batches = wasm.recordBatches();
    wasm.free();
    for (const b of batches) {
      this.controller.enqueue(b);
      if ((this.controller.desiredSize ?? 0) > 0) continue;
      const taken = new Promise<void>((r) => (this.drained = r));
      // a writer that failed takes nothing more: its error is the answer
      await Promise.race([taken, this.pump.then(() => Promise.reject(new Error('the Parquet writer stopped before its input ended')))]);
    }
  }

  /** Ends the file: writes the last row group and the footer. */
  async end(): Promise<void> {
    if (this.first !== undefined) return this.sink(encodeParquet(this.first, this.compression));
    this.controller.close();
    await this.pump;
  }
}

// Rows per batch read back: each batch is copied out of wasm memory through an IPC buffer made inside it (wasm memory
// never shrinks), so a batch of a whole 128k-row group would cost a 100,000-row dataset ~15 MB more than the decode.
const READ_BATCH_ROWS = 32 * 1024;

/**
 * Reads a Parquet file into an Arrow JS table: parquet-wasm decodes it into wasm memory, then each record batch is
 * copied out as Arrow IPC (one batch's bytes at a time) and the wasm side is freed.
 */
export async function readDatasetParquet(path: string): Promise<Table> {
  const bytes = await readFile(path);
  let wasm: parquet.Table | undefined;
  try {
    wasm = parquet.readParquet(bytes, { batchSize: READ_BATCH_ROWS });
    // the file's schema with its metadata (the dataset's provenance), and the schema of a file of no rows
    const schema = tableFromIPC(wasm.schema.intoIPCStream()).schema;
    const batches: RecordBatch[] = [];
    for (const b of wasm.recordBatches()) batches.push(...tableFromIPC(b.intoIPCStream()).batches);
    return new Table(schema, batches);
  } catch (e) {
    throw new DataError(`cannot read ${path} as Parquet: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    wasm?.free();
  }
}
