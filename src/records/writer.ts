// The single writer of one record file: whole JSON lines appended with one write(2) each (marker last, docs/architecture.md).
import { AppendOnlyFile } from '../util/fs.js';
import { recordLine } from './line.js';
import type { TaskRecord } from './record.js';

/**
 * The single writer of one record file: whole JSON lines, appended with one write(2) each. The file is created by the
 * first record: a writer with nothing to write (an element whose tasks its siblings took) leaves no file behind.
 */
export class RecordWriter {
  private file: AppendOnlyFile | null = null;
  private closed = false;
  constructor(readonly path: string) {}
  write(rec: TaskRecord): void {
    if (this.closed) throw Object.assign(new Error(`record file ${this.path}: written after close`), { code: 'EBADF' });
    this.file ??= new AppendOnlyFile(this.path);
    this.file.append(recordLine(rec));
  }
  close(): void {
    this.file?.close();
    this.file = null;
    this.closed = true;
  }
}
