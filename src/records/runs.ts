// Re-runs made visible: how many times a task's kept attempt ran (a Slurm requeue, an orphaned worker and its replacement, a duplicate submission).
import { parseIso } from '../util/iso-time.js';
import { grown } from '../util/typed.js';
import type { TaskRecord } from './record.js';

/**
 * Whether `r` was written by a run of its task: a wrapper record (one without `source` is the wrapper's), whatever its
 * status. Controller and scheduler records only infer a task's fate on its behalf: they are no run.
 */
export function isRun(r: TaskRecord): boolean {
  return isRunSource(r.source);
}

/** Whether a record of this `source` is a run (see {@link isRun}). */
export function isRunSource(source: TaskRecord['source']): boolean {
  return (source ?? 'wrapper') === 'wrapper';
}

/**
 * Counts, per task, the wrapper records of its highest attempt, records added in any order and in batches. The final
 * record is always of a task's highest attempt (select-final.ts), so {@link runsOf} is the number of times the kept
 * attempt ran: 1 normally, 2 or more after a re-run, 0 when only the controller or the scheduler wrote for it (the task
 * left no record of its own). A run is told by its start time: the same record read twice (a record file copied, a
 * batch delivered again) is one run. Typed arrays, grown on demand: 16 bytes a task, and a set of start times only
 * for the rare task that ran more than once.
 */
export class RunCounter {
  private attempt = new Float64Array(0);
  private count = new Uint32Array(0);
  /** The start (ms) of the first counted run of each task's highest attempt. */
  private first = new Float64Array(0);
  /** The starts of the runs of a task that ran more than once (its highest attempt). */
  private readonly more = new Map<number, Set<number>>();

  constructor(tasks = 0) {
    this.grow(tasks);
  }

  private grow(n: number): void {
    if (n <= this.count.length) return;
    const size = Math.max(n, this.count.length * 2);
    this.attempt = grown(this.attempt, size);
    this.count = grown(this.count, size);
    this.first = grown(this.first, size);
  }

  /** Counts `r` when it is a run; returns whether the task's count (at its highest attempt) changed. */
  add(r: TaskRecord): boolean {
    return isRun(r) && this.addRun(r.task, r.attempt, parseIso(r.start));
  }

  /** Counts a run of `task`'s `attempt` that started at `start` (ms, Date.parse of the record's `start`), as {@link add}. */
  addRun(t: number, attempt: number, start: number): boolean {
    this.grow(t + 1);
    if (attempt < this.attempt[t]) return false;
    if (attempt > this.attempt[t]) {
      this.attempt[t] = attempt;
      this.count[t] = 0;
      this.more.delete(t);
    }
    if (this.count[t] === 0) this.first[t] = start;
    else if (Object.is(start, this.first[t])) return false; // this run again (NaN: no start, also one run)
    else {
      const starts = this.more.get(t) ?? new Set([this.first[t]]);
      if (starts.has(start)) return false;
      this.more.set(t, starts.add(start));
    }
    this.count[t]++;
    return true;
  }

  /** The runs of `final`'s attempt of its task: the `runs` column of its row. */
  runsOf(final: TaskRecord): number {
    const t = final.task;
    return t < this.count.length && this.attempt[t] === final.attempt ? this.count[t] : 0;
  }

  /** `final` with its `runs` set (a new object: records read from the files are not changed). */
  withRuns(final: TaskRecord): TaskRecord {
    return { ...final, runs: this.runsOf(final) };
  }
}

