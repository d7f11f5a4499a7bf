// What the status queries said of the open array elements: which the scheduler called final (and since when), which it no longer names.
import type { BatchScheduler } from '../scheduler/contract.js';
import { type ElementStatus, isFinal } from '../scheduler/types.js';
import type { ElementBook } from './elements.js';

/** An open element the scheduler called final (or lost track of), noted at `since` (0: settle it at once). */
export interface Verdict {
  jobId: string;
  index: number;
  since: number;
  st: ElementStatus;
}

/** How long an open element may be missing from every answer before it counts as lost (`tickMs.unknown` in tests). */
export const UNKNOWN_GRACE_MS = 30_000;

const key = (jobId: string, index: number) => `${jobId}_${index}`;

/**
 * The verdicts BatchRun settles, kept by `jobId_index`. An element the scheduler no longer knows can never report a
 * final state — a whole job past MinJobAge without accounting, or (Slurm 22.05) a pending array element cancelled by
 * index, which leaves no line in squeue nor in sacct — so one missing from every answer for `unknownGraceMs` is lost
 * rather than waited for forever.
 */
export class StatusAnswers {
  private readonly finalSince = new Map<string, Verdict>();
  /** When an open element was first missing from an answer: neither a line nor a pending range of its job names it. */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly book: ElementBook,
    /** The binding in use (limits discovery may switch it: PBS through Slurm's qsub wrapper). */
    private readonly sched: () => BatchScheduler,
    private readonly unknownGraceMs: number,
  ) {}

  /** Notes what an answer (`statuses`, asked about the jobs `ids` at `now`) says of their open elements. */
  note(statuses: ElementStatus[], ids: string[], now: number): void {
    const open = new Set<string>();
    for (const jobId of ids) {
      const byIndex = this.sched().statusByIndex(statuses, jobId);
      for (const index of this.book.openOf(jobId)) {
        const k = key(jobId, index);
        open.add(k);
        if (this.finalSince.has(k)) continue;
        const st = byIndex.get(index);
        if (st) {
          this.missingSince.delete(k);
          if (isFinal(st.state)) this.finalSince.set(k, { jobId, index, since: now, st });
          continue;
        }
        const since = this.missingSince.get(k) ?? now;
        this.missingSince.set(k, since);
        if (now - since < this.unknownGraceMs) continue;
        this.missingSince.delete(k);
        const st0: ElementStatus = { arrayJobId: jobId, index, state: 'unknown', rawState: 'no longer known to the scheduler', scheduler: this.sched().name };
        this.finalSince.set(k, { jobId, index, since: 0, st: st0 });
      }
    }
    // an element closed since it went missing (its records came): opened again later (a stolen task handed to it, see
    // ElementBook.adopt), its grace starts over, and the database is asked about it again
    for (const k of this.missingSince.keys()) if (!open.has(k)) this.missingSince.delete(k);
  }

  /**
   * Jobs the live queue still lists that the database should be asked about too: one with an open element the queue no
   * longer names (aged out after MinJobAge while its siblings were not, or forgotten), calls failed without an exit code,
   * or calls ended otherwise than completed without saying when (a state-only answer: the record written for its tasks
   * takes the element's times from the database).
   */
  askDatabase(live: ElementStatus[], ids: string[]): string[] {
    return ids.filter((jobId) => {
      const byIndex = this.sched().statusByIndex(live, jobId);
      if (byIndex.size === 0) return false; // not listed at all: the runner asks the database anyway
      return this.book.openOf(jobId).some((i) => {
        const st = byIndex.get(i);
        // missing: asked once; when the database did not know it either, asking again each tick would not change that
        if (st === undefined) return !this.missingSince.has(key(jobId, i));
        if (st.state === 'failed' && st.exitCode === undefined) return true;
        return isFinal(st.state) && st.state !== 'completed' && st.end === undefined;
      });
    });
  }

  /** The verdicts not yet settled (a live view: a Map's iteration allows {@link drop} of the current one). */
  pending(): IterableIterator<Verdict> {
    return this.finalSince.values();
  }

  /** The element's verdict is settled (or moot: the element closed). */
  drop(v: Verdict): void {
    this.finalSince.delete(key(v.jobId, v.index));
  }
}
