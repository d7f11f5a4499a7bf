// What a run keeps of each task's final record while it runs: a few bytes, not the record. The records themselves are
// the batch loop's (watch/records.ts followFinals) or pass through (a local worker's echo); a copy was ≈ 40 MB at 100,000 tasks.
import type { TaskRecord, TaskStatus } from '../records/record.js';
import { awaitsScheduler } from '../records/select-final.js';

/** Where a task stands in the run's progress counts: no final record yet (or an interrupted one), done, or failed. */
export type Bucket = 'pending' | 'done' | 'failed';

const STATUS: readonly (TaskStatus | null)[] = [null, 'done', 'failed', 'interrupted'];

/** The bucket of a final record's status: an interrupted task is pending (the next run gives it another attempt). */
export function bucketOf(status: TaskStatus): Bucket {
  return status === 'interrupted' ? 'pending' : status;
}

/** Per task of the plan: the status, attempt and reason of its final record so far. */
export class FinalMarks {
  private readonly status: Uint8Array;
  private readonly attempt: Int32Array;
  /** Reasons of the tasks whose final record has one (failures, mostly: few). */
  private readonly reasons = new Map<number, string>();
  /** Failed records whose reason the scheduler will give: their stats lines wait for it, or for the end of the run. */
  private readonly waiting = new Map<number, TaskRecord>();

  constructor(
    readonly tasks: number,
    finals: Iterable<TaskRecord>,
  ) {
    this.status = new Uint8Array(tasks);
    this.attempt = new Int32Array(tasks);
    for (const r of finals) this.set(r);
  }

  /** Keeps `rec` as its task's final record (a task outside the plan is ignored: the dataset has no row for it). */
  set(rec: TaskRecord): void {
    const { task } = rec;
    if (task >= this.tasks) return;
    this.status[task] = STATUS.indexOf(rec.status);
    this.attempt[task] = rec.attempt;
    if (rec.reason === null || rec.reason === undefined) this.reasons.delete(task);
    else this.reasons.set(task, rec.reason);
    if (awaitsScheduler(rec)) this.waiting.set(task, rec);
    else this.waiting.delete(task);
  }

  bucket(task: number): Bucket {
    const s = STATUS[this.status[task] ?? 0];
    return s === null ? 'pending' : bucketOf(s);
  }

  /** Whether `rec` says what its task's kept final record says: the same attempt, status and reason. */
  same(rec: TaskRecord): boolean {
    const { task } = rec;
    return (
      task < this.tasks &&
      this.status[task] !== 0 &&
      STATUS[this.status[task]] === rec.status &&
      this.attempt[task] === rec.attempt &&
      (this.reasons.get(task) ?? null) === (rec.reason ?? null)
    );
  }

  /** The kept final records still waiting for the scheduler's reason. */
  awaiting(): Iterable<TaskRecord> {
    return this.waiting.values();
  }
}
