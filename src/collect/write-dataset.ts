// Writing the dataset files of every format atomically (temp name, fsync, rename), through the dataset writers.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { Table } from 'apache-arrow';
import type { EnsembleLayout } from '../layout/layout.js';
import { syncDir } from '../util/fs.js';
import { DATASET_WRITERS, type DatasetFiles, type DatasetWriter } from './writers.js';

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

/**
 * Writes `dataset.<format>` of `layout` for each writer, each atomically (temp name in the same
 * directory, fsync, rename), so a reader sees the old or the new file, never a partial one.
 */
export async function writeDataset(table: Table, layout: EnsembleLayout, writers: readonly DatasetWriter[] = DATASET_WRITERS): Promise<DatasetFiles> {
  const paths = writers.map((w) => layout.dataset(w.format));
  // Each file goes to disk (and fsync) while the next one is being rendered.
  const written = await Promise.allSettled(writers.map((w, i) => writeTemp(paths[i], w.encode(table))));
  const temps = written.flatMap((w) => (w.status === 'fulfilled' ? [w.value] : []));
  try {
    for (const w of written) if (w.status === 'rejected') throw w.reason;
    // All are complete before any replaces its old file, so the set is mismatched only between two renames.
    for (let i = 0; i < paths.length; i++) await rename(temps[i], paths[i]);
  } catch (e) {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    throw e;
  }
  await syncDir(layout.root);
  return Object.fromEntries(writers.map((w, i) => [w.format, paths[i]])) as DatasetFiles;
}
