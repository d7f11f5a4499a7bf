// Writing the dataset files of every format atomically (temp name, fsync, rename), through the dataset writers.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { Table } from './arrow.js';
import { StorageError } from '../errors.js';
import { DATASET_FORMATS } from '../config/types.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { syncDir } from '../util/fs.js';
import { datasetWriters, type DatasetEncoder, type DatasetFiles, type DatasetWriter } from './writers.js';

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

/** A file being written under a temp name next to its path, fed by one writer's encoder. */
interface TempFile {
  path: string;
  tmp: string;
  fh: FileHandle;
  encoder: DatasetEncoder;
  /** The write in flight: one at a time, while the next chunk is produced, so rendering overlaps the disk. */
  pending: Promise<void>;
}

/** A full, over-quota or read-only filesystem named by the dataset file (not its temp name), as a StorageError. */
function refused(path: string): (e: unknown) => never {
  return (e) => {
    throw StorageError.from(e, path);
  };
}

async function openTemp(path: string, w: DatasetWriter): Promise<TempFile> {
  const tmp = tempName(path);
  const fh = await open(tmp, 'wx').catch(refused(path));
  const file: TempFile = { path, tmp, fh, encoder: undefined as unknown as DatasetEncoder, pending: Promise.resolve() };
  const sink = async (chunk: string | Uint8Array): Promise<void> => {
    await file.pending;
    file.pending = writeAll(fh, chunk).catch(refused(path));
  };
  // a writer whose library writes the file itself (HDF5) opens it again by path: fsync through fh still covers
  // those writes (fsync flushes the file, whichever descriptor wrote it)
  file.encoder = w.open({ path: tmp, sink });
  return file;
}

/**
 * Writes `dataset.<format>` of `layout` for each writer (default: Parquet and CSV) from `tables` (row batches of
 * one schema, at least one, in row order), each atomically (temp name in the same directory, fsync, rename), so a
 * reader sees the old or the new file, never a partial one. Memory holds about one table at a time (but for the
 * string columns of dataset.h5). The dataset file of a format not written this time is removed: it would hold
 * older rows.
 */
export async function writeDatasetStream(
  tables: AsyncIterable<Table> | Iterable<Table>,
  layout: EnsembleLayout,
  writers: readonly DatasetWriter[] = datasetWriters(),
): Promise<DatasetFiles> {
  const opened = await Promise.allSettled(writers.map((w) => openTemp(layout.dataset(w.format), w)));
  const files = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  try {
    for (const o of opened) if (o.status === 'rejected') throw o.reason;
    for await (const table of tables) await Promise.all(files.map((f) => f.encoder.add(table)));
    await Promise.all(
      files.map(async (f) => {
        await f.encoder.end();
        await f.pending;
        await f.fh.sync().catch(refused(f.path));
      }),
    );
    await Promise.all(files.map((f) => f.fh.close()));
    // All are complete before any replaces its old file, so the set is mismatched only between two renames.
    for (const f of files) await rename(f.tmp, f.path).catch(refused(f.path));
    for (const format of DATASET_FORMATS) {
      if (!writers.some((w) => w.format === format)) await unlink(layout.dataset(format)).catch(() => undefined);
    }
  } catch (e) {
    for (const f of files) f.encoder.abort?.();
    await Promise.all(files.map((f) => f.fh.close().catch(() => undefined)));
    await Promise.all(files.map((f) => unlink(f.tmp).catch(() => undefined)));
    throw e;
  }
  await syncDir(layout.root);
  return Object.fromEntries(writers.map((w) => [w.format, layout.dataset(w.format)])) as DatasetFiles;
}

/** {@link writeDatasetStream} of one table held in memory. */
export async function writeDataset(table: Table, layout: EnsembleLayout, writers: readonly DatasetWriter[] = datasetWriters()): Promise<DatasetFiles> {
  return writeDatasetStream([table], layout, writers);
}
