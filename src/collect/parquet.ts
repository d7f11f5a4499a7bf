// Parquet as arrayflow writes and reads it: parquet-wasm encodes (snappy, deterministic bytes), arrow-js-ffi reads back.
import { readFile } from 'node:fs/promises';
import { tableToIPC, Type, type Table } from 'apache-arrow';
import { parseTable } from 'arrow-js-ffi';
import * as parquet from 'parquet-wasm';
import { DataError } from '../errors.js';

// Large enough that typical ensembles are one row group; small enough that readers can skip by statistics.
const ROW_GROUP_ROWS = 128 * 1024;

/**
 * Encodes `table` as Parquet bytes: snappy (pyarrow's default; zstd is ~20% smaller but
 * markedly slower in a cold wasm instance), dictionary pages only for string columns (numbers and
 * times are nearly all distinct, where a dictionary costs time and bytes), parquet-wasm's constant
 * created_by and no timestamps, so equal tables give equal bytes.
 */
export function encodeParquet(table: Table): Uint8Array {
  let builder = new parquet.WriterPropertiesBuilder()
    .setCompression(parquet.Compression.SNAPPY)
    .setMaxRowGroupSize(ROW_GROUP_ROWS);
  for (const f of table.schema.fields) {
    if (f.typeId !== Type.Utf8) builder = builder.setColumnDictionaryEnabled(f.name, false);
  }
  // writeParquet takes ownership of (and frees) both the wasm table and the properties.
  return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')), builder.build());
}

/**
 * Reads a Parquet file into an Arrow JS table: parquet-wasm decodes into wasm memory, arrow-js-ffi
 * copies the arrays out through the Arrow C data interface (no IPC serialization), then the wasm side is freed.
 */
export async function readDatasetParquet(path: string): Promise<Table> {
  const bytes = await readFile(path);
  let stream: parquet.FFIStream | undefined;
  try {
    stream = parquet.readParquet(bytes, { batchSize: ROW_GROUP_ROWS }).intoFFI();
    // Take the memory buffer only now: any wasm allocation above may have grown (and detached) it.
    return parseTable(parquet.wasmMemory().buffer, stream.arrayAddrs(), stream.schemaAddr(), true);
  } catch (e) {
    throw new DataError(`cannot read ${path} as Parquet: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    stream?.free();
  }
}
