// Which array elements of each submission are still open (no final record that needs no scheduler reason): what BatchRun's poll policy (./poll.ts) is fed.
import type { FinalBrief, FinalsView } from '../records/record.js';
import { awaitsScheduler } from '../records/select-final.js';
import type { SubmissionView } from './poll.js';

interface Tracked {
  attempt: number;
  elements: number;
  tasksOf: (index: number) => number[];
  /** Tasks of siblings' slices an element claimed (stole) and ended without recording: it holds them too (docs/claims.md). */
  adopted: Map<number, number[]>;
  /** Element indexes not yet closed, by records or by a scheduler verdict. */
  open: Set<number>;
  /** Per open element, how many of its held tasks (from the first) records covered already: the next look starts there. */
  seen: Map<number, number>;
  lastRecordedAt: number | null;
  longestMs: number;
  earlySpent: boolean;
}

/**
 * A task's record covers it for a submission of attempt `attempt`: a final record of that attempt or later that
 * needs no scheduler reason (a wrapper's "terminated" waits for the scheduler to say time limit, cancel or preemption).
 */
export function covers(rec: FinalBrief | undefined, attempt: number): boolean {
  return rec !== undefined && rec.attempt >= attempt && !awaitsScheduler(rec);
}

/** The open elements of every submission; an element closes once and stays closed (records only ever get more final). */
export class ElementBook {
  private readonly subs = new Map<string, Tracked>();
  /** Per attempt number, a byte per task of the plan: 1 when some submission runs the task at that attempt. */
  private readonly runsAt = new Map<number, Uint8Array>();

  /** @param tasks the plan's task count (the tasks {@link runs} answers for) */
  constructor(private readonly tasks = 0) {}

  /** Starts tracking a submission (again: no-op); `tasksOf(index)` are the tasks of its element `index`. */
  add(jobId: string, attempt: number, elements: number, tasksOf: (index: number) => number[]): void {
    if (this.subs.has(jobId)) return;
    const open = new Set<number>();
    let runs = this.runsAt.get(attempt);
    if (runs === undefined) this.runsAt.set(attempt, (runs = new Uint8Array(this.tasks)));
    for (let i = 0; i < elements; i++) {
      open.add(i);
      for (const t of tasksOf(i)) if (t < this.tasks) runs[t] = 1;
    }
    this.subs.set(jobId, { attempt, elements, tasksOf, adopted: new Map(), open, seen: new Map(), lastRecordedAt: null, longestMs: 0, earlySpent: false });
  }

  /** Whether some submission tracked runs `task` at attempt `attempt` (then that attempt is not owed to another one). */
  runs(task: number, attempt: number): boolean {
    return this.runsAt.get(attempt)?.[task] === 1;
  }

  /** The tasks element `index` answers for: its slice, and the stolen tasks handed to it by {@link adopt}. */
  held(jobId: string, index: number): number[] {
    const s = this.subs.get(jobId);
    if (!s) return [];
    const stolen = s.adopted.get(index);
    return stolen ? [...s.tasksOf(index), ...stolen] : s.tasksOf(index);
  }

  /** Hands `task` to element `index` (its claimer) and opens it again: it closes once the task has a record or a verdict. */
  adopt(jobId: string, index: number, task: number): void {
    const s = this.subs.get(jobId);
    if (!s) return;
    const list = s.adopted.get(index) ?? [];
    if (!list.includes(task)) list.push(task);
    s.adopted.set(index, list);
    s.open.add(index);
  }

  /**
   * Closes the elements whose tasks the records now cover; returns how many closed. Cost: the open elements' tasks not
   * yet seen covered (records only ever get more final, and adopted tasks are appended: the covered prefix stays covered).
   */
  observe(finals: FinalsView, now: number): number {
    let closed = 0;
    for (const [jobId, s] of this.subs) {
      for (const index of s.open) {
        const tasks = this.held(jobId, index);
        let i = s.seen.get(index) ?? 0;
        while (i < tasks.length && covers(finals.get(tasks[i]), s.attempt)) i++;
        s.seen.set(index, i);
        if (i < tasks.length) continue;
        s.open.delete(index);
        closed++;
        s.lastRecordedAt = now;
        const ms = tasks.reduce((sum, t) => sum + Math.max(0, (finals.get(t) as FinalBrief).duration_s || 0) * 1000, 0);
        s.longestMs = Math.max(s.longestMs, ms);
      }
    }
    return closed;
  }

  /** Closes one element on the scheduler's word (its records were written on its behalf, or it needs none). */
  close(jobId: string, index: number): void {
    this.subs.get(jobId)?.open.delete(index);
  }

  isOpen(jobId: string, index: number): boolean {
    return this.subs.get(jobId)?.open.has(index) ?? false;
  }

  /** Open element indexes of a submission (empty when settled or unknown). */
  openOf(jobId: string): number[] {
    return [...(this.subs.get(jobId)?.open ?? [])];
  }

  /** Every element of the submission is closed. */
  settled(jobId: string): boolean {
    const s = this.subs.get(jobId);
    return s !== undefined && s.open.size === 0;
  }

  /** Job ids with open elements, in the order they were added. */
  unsettled(): string[] {
    return [...this.subs].filter(([, s]) => s.open.size > 0).map(([id]) => id);
  }

  /** The poll policy's view of the unsettled submissions, in the order of unsettled(). */
  views(): SubmissionView[] {
    return this.unsettled().map((id) => {
      const s = this.subs.get(id) as Tracked;
      return { elements: s.elements, open: s.open.size, lastRecordedAt: s.lastRecordedAt, longestMs: s.longestMs, earlySpent: s.earlySpent };
    });
  }

  spendEarly(jobId: string): void {
    const s = this.subs.get(jobId);
    if (s) s.earlySpent = true;
  }
}
