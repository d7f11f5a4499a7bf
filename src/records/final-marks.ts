// What the controller keeps of each task's final record while a run goes on: a few bytes a task in columns, not the record
// (a record object without its result is ≈ 300 bytes: 300 MB at a million tasks). The records are the record files'; they are read back when needed (final-index.ts).
import type { FinalBrief, FinalsView, TaskRecord, TaskStatus } from './record.js';
import { awaitsScheduler } from './select-final.js';

/** Where a task stands in the run's progress counts: no final record yet (or an interrupted one), done, or failed. */
export type Bucket = 'pending' | 'done' | 'failed';

const STATUS: readonly (TaskStatus | null)[] = [null, 'done', 'failed', 'interrupted'];
const SOURCE: readonly NonNullable<TaskRecord['source']>[] = ['wrapper', 'controller', 'scheduler'];

/** The bucket of a final record's status: an interrupted task is pending (the next run gives it another attempt). */
export function bucketOf(status: TaskStatus): Bucket {
  return status === 'interrupted' ? 'pending' : status;
}

/**
 * Per task of the plan: the status, attempt, source, duration and reason of its final record so far, about 14 bytes a
 * task (reasons are kept for the tasks whose record has one: failures, mostly few). A {@link FinalsView}: the batch
 * loop decides by it (owed work, closed elements, the learned bundle).
 */
export class FinalMarks implements FinalsView {
  private readonly status: Uint8Array;
  private readonly source: Uint8Array;
  private readonly attempt: Int32Array;
  private readonly duration: Float64Array;
  private readonly reasons = new Map<number, string>();
  /** Failed records whose reason the scheduler will give: their stats lines wait for it, or for the end of the run. */
  private readonly waiting = new Map<number, TaskRecord>();
  private count = 0;

  constructor(
    readonly tasks: number,
    finals: Iterable<TaskRecord> = [],
  ) {
    this.status = new Uint8Array(tasks);
    this.source = new Uint8Array(tasks);
    this.attempt = new Int32Array(tasks);
    this.duration = new Float64Array(tasks);
    for (const r of finals) this.set(r);
  }

  /**
   * Keeps `rec` as its task's final record; false when it is not kept: a task outside the plan (the dataset has no row
   * for it), or an attempt below the kept one (a record file rewritten by hand since: the later attempt ran all the same).
   */
  set(rec: TaskRecord): boolean {
    const { task } = rec;
    if (task >= this.tasks || (this.status[task] !== 0 && rec.attempt < this.attempt[task])) return false;
    if (this.status[task] === 0) this.count++;
    this.status[task] = STATUS.indexOf(rec.status);
    this.source[task] = Math.max(0, SOURCE.indexOf(rec.source ?? 'wrapper'));
    this.attempt[task] = rec.attempt;
    this.duration[task] = rec.duration_s;
    if (rec.reason === null || rec.reason === undefined) this.reasons.delete(task);
    else this.reasons.set(task, rec.reason);
    if (awaitsScheduler(rec)) this.waiting.set(task, rec);
    else this.waiting.delete(task);
    return true;
  }

  get size(): number {
    return this.count;
  }

  has(task: number): boolean {
    return task < this.tasks && this.status[task] !== 0;
  }

  /** What the final record of `task` says, built from the columns (undefined: none yet). */
  get(task: number): FinalBrief | undefined {
    const status = this.has(task) ? STATUS[this.status[task]] : null;
    if (status === null) return undefined;
    return { task, attempt: this.attempt[task], status, reason: this.reasons.get(task) ?? null, source: SOURCE[this.source[task]], duration_s: this.duration[task] };
  }

  /** The final records that give a reason (failures, mostly). */
  *withReasons(): Iterable<FinalBrief> {
    for (const task of this.reasons.keys()) yield this.get(task) as FinalBrief;
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
