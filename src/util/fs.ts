// Small filesystem primitives: atomic write (temp + fsync + rename) and repair of a torn append-only file.
import { open, rename, unlink } from 'node:fs/promises';
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { StorageError } from '../errors.js';

/**
 * Writes `data` to `path` so readers see the old or the new content, never a partial file. A full, over-quota or
 * read-only filesystem is a {@link StorageError} naming `path` (the old content stays).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const fh = await open(tmp, 'w').catch((e: unknown) => {
    throw StorageError.from(e, path);
  });
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw StorageError.from(e, path);
  }
  await fh.close();
  await rename(tmp, path).catch(async (e: unknown) => {
    await unlink(tmp).catch(() => undefined);
    throw StorageError.from(e, path);
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

export interface AppendOptions {
  /**
   * This writer is the file's only one (an element's start lines, records/starts.ts): no fstat(2) before each line,
   * so a line costs one write(2) and nothing else (on NFS an fstat also makes the client flush what it holds of the
   * file first); a short write is taken back from the file's end.
   */
  sole?: boolean;
}

/**
 * An append-only file of whole lines, each appended with one write(2) on an O_APPEND descriptor. If an earlier
 * writer was killed mid-line, the first line written starts with a newline so the torn line stays one malformed
 * line instead of corrupting the record. The seal travels in the same write(2) as that line: a separate write
 * could land after another writer's line, and a file another process is appending to can look torn while its
 * write is under way; then the cost is one blank line, which every reader skips.
 *
 * A full (or over-quota, or read-only) filesystem throws a {@link StorageError} naming the file, and leaves no part of
 * the line: a short write(2) (the room left was smaller than the line) is cut off again with ftruncate(2), or, if
 * another writer appended meanwhile, sealed by the next line like a killed writer's. To tell, each line costs an
 * fstat(2) before its write, unless the writer is the file's only one ({@link AppendOptions.sole}).
 */
export class AppendOnlyFile {
  private fd: number | null;
  private seal: boolean;
  private readonly sole: boolean;
  constructor(
    readonly path: string,
    opts: AppendOptions = {},
  ) {
    this.sole = opts.sole ?? false;
    try {
      this.fd = openSync(path, 'a+');
    } catch (e) {
      throw StorageError.from(e, path);
    }
    const size = fstatSync(this.fd).size;
    const last = Buffer.alloc(1);
    this.seal = size > 0 && readSync(this.fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
  }
  /** Appends `line` (a newline added unless it has one) with a single write(2). */
  append(line: string): void {
    if (this.fd === null) throw Object.assign(new Error(`${this.path}: written after close`), { code: 'EBADF' });
    const data = Buffer.from((this.seal ? '\n' : '') + (line.endsWith('\n') ? line : line + '\n'));
    // a sole writer's short write is at the file's end: where it began is known after it
    const before = this.sole ? null : fstatSync(this.fd).size;
    let written: number;
    try {
      written = writeSync(this.fd, data);
    } catch (e) {
      throw StorageError.from(e, this.path);
    }
    if (written === data.length) {
      this.seal = false;
      return;
    }
    // a short write: only a full (or over-quota) filesystem writes part of a line this small
    this.tornWrite(before, written);
    throw new StorageError(this.path, 'ENOSPC');
  }

  /**
   * Takes back the `written` bytes of a short write appended at `before` (null: a sole writer's, the file's last bytes),
   * or, when that is not safe, has the next line seal them.
   */
  private tornWrite(before: number | null, written: number): void {
    const fd = this.fd as number;
    try {
      const size = fstatSync(fd).size;
      const at = before ?? size - written;
      if (at >= 0 && size === at + written) {
        ftruncateSync(fd, at);
        return;
      }
    } catch {
      // fall through: the torn bytes stay, sealed off by the next line
    }
    this.seal = true;
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
