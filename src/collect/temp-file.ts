// Writing a file under a fresh temp name next to its final path (the first half of an atomic replace), in the main thread or a worker.
import { open, unlink, type FileHandle } from 'node:fs/promises';

// Text chunks are joined to roughly this size before each write(2).
const WRITE_BYTES = 1 << 20;

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
export async function writeTemp(path: string, chunks: Iterable<string | Uint8Array>): Promise<string> {
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

/** Groups small text chunks so the file is written in ~1 MiB writes. */
export function* coalesce(chunks: Iterable<string>): Generator<string> {
  let parts: string[] = [];
  let size = 0;
  for (const c of chunks) {
    parts.push(c);
    size += c.length;
    if (size >= WRITE_BYTES) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}
