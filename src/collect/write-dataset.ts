// Writing the dataset files (Parquet via parquet-wasm, CSV) atomically, and reading the Parquet back via arrow-js-ffi.
import { readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { tableToIPC, Type, type Table } from 'apache-arrow';
import { parseTable } from 'arrow-js-ffi';
import * as parquet from 'parquet-wasm';
import { DataError } from '../errors.js';
import { syncDir } from '../util/fs.js';
import { csvBatches, renderCsvChunks } from './csv.js';
import type { CsvJob } from './csv-worker.js';
import { coalesce, writeTemp } from './temp-file.js';

// Large enough that typical ensembles are one row group; small enough that readers can skip by statistics.
const ROW_GROUP_ROWS = 128 * 1024;
const CSV_WORKER = new URL('./csv-worker.js', import.meta.url);
// From this many cells the CSV is rendered in a worker thread: below it, starting one (~70 ms of CPU)
// costs more than the rendering it would take off this thread.
const CSV_WORKER_CELLS = 100_000;

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

/** Renders the CSV of `table` and writes it under a temp name next to `path` in a worker thread; resolves to the temp name. */
function writeCsvTemp(path: string, table: Table): Promise<string> {
  const job: CsvJob = { path, names: table.schema.fields.map((f) => f.name), batches: csvBatches(table) };
  return new Promise((resolve, reject) => {
    // workerData is copied when the worker is created: the caller's table is not shared with it.
    const worker = new Worker(CSV_WORKER, { workerData: job });
    let tmp: string | undefined;
    worker.once('message', (m: string) => (tmp = m));
    worker.once('error', reject);
    worker.once('exit', (code) => (tmp !== undefined ? resolve(tmp) : reject(new Error(`the CSV writer thread exited with code ${code}`))));
  });
}

/**
 * Writes `<dir>/<basename>.parquet` and `<dir>/<basename>.csv`, each atomically (temp name in the same
 * directory, fsync, rename), so a reader sees the old or the new file, never a partial one.
 */
export async function writeDataset(table: Table, dir: string, basename = 'dataset'): Promise<{ parquet: string; csv: string }> {
  const parquetPath = join(dir, `${basename}.parquet`);
  const csvPath = join(dir, `${basename}.csv`);
  // A large CSV (number formatting is its main cost) is rendered and written in a second thread while this
  // one encodes and writes the Parquet; the worker starts first, since the encoding blocks this thread.
  const csvTemp =
    table.numRows * table.numCols >= CSV_WORKER_CELLS ? writeCsvTemp(csvPath, table) : writeTemp(csvPath, coalesce(renderCsvChunks(table)));
  const parquetTemp = (async () => writeTemp(parquetPath, [encodeParquet(table)]))();
  const written = await Promise.allSettled([parquetTemp, csvTemp]);
  const temps = written.flatMap((w) => (w.status === 'fulfilled' ? [w.value] : []));
  try {
    for (const w of written) if (w.status === 'rejected') throw w.reason;
    // Both are complete before either replaces its old file, so the pair is mismatched only between two renames.
    await rename(temps[0], parquetPath);
    await rename(temps[1], csvPath);
  } catch (e) {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    throw e;
  }
  await syncDir(dir);
  return { parquet: parquetPath, csv: csvPath };
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
