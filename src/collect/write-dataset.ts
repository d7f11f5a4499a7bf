// Writing the dataset files (Parquet via parquet-wasm, CSV) atomically, and reading the Parquet back via arrow-js-ffi.
import { open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { tableToIPC, Type, type Table } from 'apache-arrow';
import { parseTable } from 'arrow-js-ffi';
import * as parquet from 'parquet-wasm';
import { DataError } from '../errors.js';
import { syncDir } from '../util/fs.js';
import { renderCsvChunks } from './csv.js';

// Large enough that typical ensembles are one row group; small enough that readers can skip by statistics.
const ROW_GROUP_ROWS = 128 * 1024;
// CSV chunks are joined to roughly this size before each write(2).
const CSV_WRITE_BYTES = 1 << 20;

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

function tempName(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** write(2) may write less than asked (signals, quotas): loop until every byte is out. */
async function writeAll(fh: FileHandle, data: string | Uint8Array): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off);
    off += bytesWritten;
  }
}

/** Writes the chunks to a fresh temp name next to `path` and fsyncs it; returns the temp name. */
async function writeTemp(path: string, chunks: Iterable<string | Uint8Array>): Promise<string> {
  const tmp = tempName(path);
  const fh = await open(tmp, 'wx');
  try {
    // One write in flight while the next chunk is produced, so rendering overlaps the disk.
    let pending: Promise<void> = Promise.resolve();
    for (const c of chunks) {
      await pending;
      pending = writeAll(fh, c);
    }
    await pending;
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  return tmp;
}

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


/**
 * Writes `<dir>/<basename>.parquet` and `<dir>/<basename>.csv`, each atomically (temp name in the same
 * directory, fsync, rename), so a reader sees the old or the new file, never a partial one.
 */
export async function writeDataset(table: Table, dir: string, basename = 'dataset'): Promise<{ parquet: string; csv: string }> {
  const parquetPath = join(dir, `${basename}.parquet`);
  const csvPath = join(dir, `${basename}.csv`);
  // The Parquet bytes go to disk (and fsync) while the CSV is being rendered.
  const written = await Promise.allSettled([
    writeTemp(parquetPath, [encodeParquet(table)]),
    writeTemp(csvPath, coalesce(renderCsvChunks(table))),
  ]);
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
