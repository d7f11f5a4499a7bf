// logs/tasks.stats, in the spirit of libEnsemble's libE_stats.txt: one human-readable line per attempt of a task, as its final record says; appended by the controller alone, each attempt once across restarts.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppendOnlyFile } from '../util/fs.js';
import type { TaskRecord } from './record.js';
import { awaitsScheduler } from './select-final.js';

/** `Task      12: Attempt 1: Status: done ...`: the line of a record (pure). */
export function formatStatsLine(r: TaskRecord): string {
  const exit = r.exit_code ?? r.signal ?? '-';
  const reason = r.reason ? ` Reason: ${r.reason.replace(/\s+/g, ' ')}` : '';
  return (
    `Task ${String(r.task).padStart(9)}: Attempt ${r.attempt}: Status: ${r.status.padEnd(11)} Host: ${r.host} ` +
    `Start: ${r.start} End: ${r.end} Time: ${r.duration_s.toFixed(3)}s Exit: ${exit}${reason}`
  );
}

const LINE = /^Task +(\d+): Attempt (\d+):/;

const key = (task: number | string, attempt: number | string) => `${task}.${attempt}`;

/**
 * The stats file of one ensemble. The attempts it has lines for are read when it is opened, so a controller that
 * restarts (resume, or after it died) appends only the attempts it has no line for, however many times the records
 * are read again. Only the controller holding the ensemble's lock appends.
 */
export class TaskStats {
  private readonly seen = new Set<string>();
  private file: AppendOnlyFile | null = null;
  /** Lines not yet appended: {@link flush} writes them in one write(2) (a line lost to a kill is appended by the next controller's catchUp). */
  private pending: string[] = [];

  constructor(readonly path: string) {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      // no stats yet
    }
    for (const line of text.split('\n')) {
      const m = LINE.exec(line);
      if (m) this.seen.add(key(m[1], m[2]));
    }
  }

  /** Appends the line of a record that arrived, unless its attempt has one; a record whose reason the scheduler will give waits for it. */
  record(rec: TaskRecord): void {
    if (!awaitsScheduler(rec)) this.add(rec);
  }

  /** Appends the lines of the final records that have none (what arrived while no controller ran; the last unrefined ones). */
  catchUp(finals: Iterable<TaskRecord>, settled: boolean): void {
    for (const rec of finals) {
      if (settled) this.add(rec);
      else this.record(rec);
    }
    this.flush();
  }

  /** Appends the lines of the records given since the last flush, in one write. */
  flush(): void {
    if (this.pending.length === 0) return;
    if (this.file === null) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.file = new AppendOnlyFile(this.path);
    }
    const text = this.pending.join('\n');
    this.pending = [];
    this.file.append(text);
  }

  private add(rec: TaskRecord): void {
    const k = key(rec.task, rec.attempt);
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.pending.push(formatStatsLine(rec));
  }

  close(): void {
    this.flush();
    this.file?.close();
    this.file = null;
  }
}
