// The exactly-once rule applied incrementally: each task's final record as records arrive, in any order and in batches (the batch loop's: watch/records.ts followFinals).
import type { TaskRecord } from './record.js';
import { RunCounter } from './runs.js';
import { compareRecords, refine } from './select-final.js';

/**
 * Keeps, per task, the two records `selectFinal` (select-final.ts) needs (the best record and the best
 * scheduler record) and the count of runs of its highest attempt, so that adding records one batch at a time gives the
 * same finals as one `selectFinal` over all of them (`runs` included), in O(records added) per batch.
 */
export class FinalState {
  private readonly best = new Map<number, TaskRecord>();
  private readonly bestScheduler = new Map<number, TaskRecord>();
  private readonly current = new Map<number, TaskRecord>();
  private readonly runs: RunCounter;

  /** @param tasks when given, records of task ids outside 0..tasks-1 are ignored (the dataset has no row for them). */
  constructor(readonly tasks?: number) {
    this.runs = new RunCounter(tasks);
  }

  /** Adds records; returns the ids whose final record changed (ascending). */
  add(records: Iterable<TaskRecord>): number[] {
    const touched = new Set<number>();
    for (const r of records) {
      if (this.tasks !== undefined && r.task >= this.tasks) continue;
      const b = this.best.get(r.task);
      // a re-run that loses to the kept record still changes the row: its `runs`
      let hit = this.runs.add(r);
      if (b === undefined || compareRecords(r, b) < 0) {
        this.best.set(r.task, r);
        hit = true;
      }
      if (r.source === 'scheduler') {
        const s = this.bestScheduler.get(r.task);
        if (s === undefined || compareRecords(r, s) < 0) {
          this.bestScheduler.set(r.task, r);
          hit = true;
        }
      }
      if (hit) touched.add(r.task);
    }
    const changed: number[] = [];
    for (const task of touched) {
      // what selectFinal gives for the pair (the best record, refined by the best scheduler record), without the
      // per-call run counter it would size to this task id: O(1) per task, not O(task id)
      const next = this.finalOf(this.best.get(task)!);
      const prev = this.current.get(task);
      if (next === null || (prev !== undefined && prev !== next && JSON.stringify(prev) === JSON.stringify(next))) continue;
      this.current.set(task, next);
      changed.push(task);
    }
    return changed.sort((a, b) => a - b);
  }

  /**
   * The final record of a task whose best record is `best`, or null when it is the current one already with the same
   * `runs`. An unrefined best record becomes the final itself, its `runs` set in place: a copy per task (`{ ...best,
   * runs }`) was a second object per task, each with a hidden class of its own in V8 (≈ 0.6 KB per task at 100,000
   * tasks). The records come from this state's own reading of the files: no one else holds them unchanged.
   */
  private finalOf(best: TaskRecord): TaskRecord | null {
    const runs = this.runs.runsOf(best);
    const refined = refine(best, this.bestScheduler.get(best.task));
    if (refined !== best) return { ...refined, runs };
    if (this.current.get(best.task) === best && best.runs === runs) return null;
    best.runs = runs;
    return best;
  }

  /** Each task's final record so far (live: later {@link add} calls update it; do not modify it). */
  get finals(): Map<number, TaskRecord> {
    return this.current;
  }
}
