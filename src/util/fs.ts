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
 * An append-only file of whole lines, each appended with one write(2) on an O_APPEND descriptor. If an earlier
 * writer was killed mid-line, the first line written starts with a newline so the torn line stays one malformed
 * line instead of corrupting the record. The seal travels in the same write(2) as that line: a separate write
 * could land after another writer's line, and a file another process is appending to can look torn while its
 * write is under way; then the cost is one blank line, which every reader skips.
 */
export class AppendOnlyFile {
  private fd: number | null;
  private seal: boolean;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'a+');
    const size = fstatSync(this.fd).size;
    const last = Buffer.alloc(1);
    this.seal = size > 0 && readSync(this.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
  }
  /** Appends `line` (a newline added unless it has one) with a single write(2). */
  append(line: string): void {
    if (this.fd === null) throw Object.assign(new Error(`${this.path}: written after close`), { code: 'EBADF' });
    writeSync(this.fd, (this.seal ? '\n' : '') + (line.endsWith('\n') ? line : line + '\n'));
    this.seal = false;
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
