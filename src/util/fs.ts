// Small filesystem primitives: atomic write (temp + fsync + rename) and repair of a torn append-only file.
import { open, rename, unlink } from 'node:fs/promises';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

/** Writes `data` to `path` so readers see the old or the new content, never a partial file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path).catch(async (e: unknown) => {
    await unlink(tmp).catch(() => undefined);
    throw e;
  });
}

/** Makes renames in `dir` durable: without it a crash can leave the directory pointing at the old files. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (fh === undefined) return;
  try {
    await fh.sync();
  } catch {
    // Some filesystems (and all of Windows) refuse fsync on a directory; the rename is still atomic.
  } finally {
    await fh.close();
  }
}

/**
 * Opens an append-only file for a single writer. If an earlier writer was killed mid-line, the torn
 * line is terminated first so that it stays one malformed line instead of corrupting the next record.
 */
export function openAppendOnly(path: string): number {
  const fd = openSync(path, 'a+');
  const size = fstatSync(fd).size;
  if (size > 0) {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) writeSync(fd, '\n');
  }
  return fd;
}

/** Appends one line with a single write(2) on an O_APPEND descriptor. */
export function appendLine(fd: number, line: string): void {
  writeSync(fd, line.endsWith('\n') ? line : line + '\n');
}

export function closeFd(fd: number): void {
  closeSync(fd);
}
