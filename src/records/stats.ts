// logs/tasks.stats, in the spirit of libEnsemble's libE_stats.txt: one human-readable line per attempt of a task, as its final record says; appended by the controller alone, each attempt once across restarts.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppendOnlyFile } from '../util/fs.js';
import { grown } from '../util/typed.js';
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

/** Tasks whose attempts {@link Attempts} keeps as bits (64 MB at most); stray ids beyond go to its set. */
const BIT_TASKS = 1 << 24;

/**
 * The (task, attempt) pairs that have a line: a bit per attempt 1..32 of each task (4 bytes a task, where a set of
 * "task.attempt" strings took ~60), a set of pairs for the rare pair beyond (a later attempt, a stray task id).
 */
class Attempts {
  private bits = new Uint32Array(0);
  private readonly beyond = new Set<string>();

  private static bitted(task: number, attempt: number): boolean {
    return attempt >= 1 && attempt <= 32 && Number.isSafeInteger(task) && task >= 0 && task < BIT_TASKS;
  }

  has(task: number, attempt: number): boolean {
    if (!Attempts.bitted(task, attempt)) return this.beyond.has(`${task}.${attempt}`);
    return task < this.bits.length && (this.bits[task] & (1 << (attempt - 1))) !== 0;
  }

  add(task: number, attempt: number): void {
    if (!Attempts.bitted(task, attempt)) {
      this.beyond.add(`${task}.${attempt}`);
      return;
    }
    if (task >= this.bits.length) this.bits = grown(this.bits, Math.min(BIT_TASKS, Math.max(task + 1, this.bits.length * 2)));
    this.bits[task] |= 1 << (attempt - 1);
  }
}

/**
 * The stats file of one ensemble. The attempts it has lines for are read when it is opened, so a controller that
 * restarts (resume, or after it died) appends only the attempts it has no line for, however many times the records
 * are read again. Only the controller holding the ensemble's lock appends.
 */
export class TaskStats {
  private readonly seen = new Attempts();
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
      if (m) this.seen.add(Number(m[1]), Number(m[2]));
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
    if (this.seen.has(rec.task, rec.attempt)) return;
    this.seen.add(rec.task, rec.attempt);
    this.pending.push(formatStatsLine(rec));
  }

  close(): void {
    this.flush();
    this.file?.close();
    this.file = null;
  }
}
