// The single writer of one record file: whole JSON lines appended with one write(2) each (marker last, docs/architecture.md).
import { appendLine, closeFd, openAppendOnly } from '../util/fs.js';
import type { TaskRecord } from './record.js';

/** The single writer of one record file: whole JSON lines, appended with one write(2) each. */
export class RecordWriter {
  private readonly fd: number;
  constructor(readonly path: string) {
    this.fd = openAppendOnly(path);
  }
  write(rec: TaskRecord): void {
    appendLine(this.fd, JSON.stringify(rec));
  }
  close(): void {
    closeFd(this.fd);
  }
}
