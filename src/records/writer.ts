// The single writer of one record file: whole JSON lines appended with one write(2) each (marker last, docs/architecture.md).
import { appendLine, closeFd, openAppendOnly } from '../util/fs.js';
import type { TaskRecord } from './record.js';

/**
 * The single writer of one record file: whole JSON lines, appended with one write(2) each. The file is created by the
 * first record: a writer with nothing to write (an element whose tasks its siblings took) leaves no file behind.
 */
export class RecordWriter {
  private fd: number | null = null;
  private closed = false;
  constructor(readonly path: string) {}
  write(rec: TaskRecord): void {
    if (this.closed) throw Object.assign(new Error(`record file ${this.path}: written after close`), { code: 'EBADF' });
    this.fd ??= openAppendOnly(this.path);
    appendLine(this.fd, JSON.stringify(rec));
  }
  close(): void {
    if (this.fd !== null) closeFd(this.fd);
    this.fd = null;
    this.closed = true;
  }
}
