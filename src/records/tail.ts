// A failure record's stderr_tail: the last lines of a stream (the simulation's stderr, a worker's or array element's log).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Bytes of the end of a stream a stderr tail is taken from. */
export const STDERR_TAIL_BYTES = 2048;

/** The stderr tail of a stream's end (its last {@link STDERR_TAIL_BYTES}): its last 10 lines, trimmed. */
export function stderrTailOf(text: string): string {
  return text.slice(-STDERR_TAIL_BYTES).trimEnd().split('\n').slice(-10).join('\n').trim();
}

/** The stderr tail of the file at `path` (read from its end: the file may be large); '' when it cannot be read. */
export function readStderrTail(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = fstatSync(fd);
    const len = Math.min(size, STDERR_TAIL_BYTES);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return stderrTailOf(buf.toString('utf8'));
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}
