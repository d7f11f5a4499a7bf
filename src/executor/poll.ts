// When BatchRun asks the scheduler next: a pure policy of the clock and of what the records say (design.md invariants 4 and 6).
//
// Records are the truth; the scheduler is asked only to find elements that ended without one. So:
//   1. no query while no submission has an open element (one whose tasks lack a final record that needs no scheduler
//      reason, and that the scheduler has not yet called final): a submission whose every element is recorded is
//      settled by its records alone — no "final confirmation" query (the job may still be COMPLETING; nothing waits on it);
//   2. the first query as soon as something is open (a resumed run's journalled jobs may have ended long ago);
//   3. then one query every `intervalMs` (executor.poll, default 30 s) for all open submissions together, whatever
//      the number of tasks, elements or submissions; records arriving never bring a query forward;
//   4. one early query per submission when its straggler should have finished: every element of it but one is recorded,
//      and the last one has had twice the longest run time of its siblings, plus `minGapMs`, since the last sibling's
//      record arrived. We chose the straggler over the time limit: the time limit is usually hours and a killed element's
//      wrapper records "terminated" anyway (its reason comes with the next query), while an element killed without a
//      record (a memory kill, a node failure, a wrapper that never started) is exactly what keeps a user waiting at the
//      end of a submission; its siblings' run times say when it should have ended without asking anyone. Once per
//      submission, so the early queries of a run are at most its submissions (ceil(tasks / (bundle x chunk)));
//   5. never two queries closer than `minGapMs`.
// Hence a run of wall time W makes at most 1 + W / intervalMs + submissions status queries.

/** What the policy knows about one submission that is not settled yet. */
export interface SubmissionView {
  /** Elements of the submission. */
  elements: number;
  /** Elements still open: not every task has a final record that needs no scheduler reason, and no scheduler verdict yet. */
  open: number;
  /** When the controller first saw the most recently recorded element of it recorded (ms since the epoch); null before any. */
  lastRecordedAt: number | null;
  /** Longest run time of one of its recorded elements (ms): the sum of its tasks' durations. */
  longestMs: number;
  /** Whether its early (straggler) query has been made. */
  earlySpent: boolean;
}

export interface PollSettings {
  /** Steady-state interval between two status queries (ms). */
  intervalMs: number;
  /** Shortest gap between any two status queries (ms), and the straggler's allowance for starting late. */
  minGapMs: number;
}

export interface PollDecision {
  /** When the next status query is due (ms since the epoch; at or before `now`: now); null: no query needed. */
  at: number | null;
  /** Indexes (into the views given) of the submissions whose early query this is: mark them spent when it is made. */
  early: number[];
}

/** The default of `executor.poll`: seconds between two status queries in steady state. */
export const DEFAULT_POLL_S = 30;
/** The smallest `executor.poll` the config accepts, and the shortest gap between two queries outside tests. */
export const MIN_POLL_S = 5;

/** When a submission's straggler should have finished, or null when the rule does not apply (yet, or any more). */
export function stragglerDue(v: SubmissionView, minGapMs: number): number | null {
  if (v.earlySpent || v.elements < 2 || v.open !== 1 || v.lastRecordedAt === null) return null;
  return v.lastRecordedAt + 2 * v.longestMs + minGapMs;
}

/** When the next status query is due, given the last one and what the records say (see the rules above). */
export function nextQuery(now: number, lastQueryAt: number | null, views: readonly SubmissionView[], s: PollSettings): PollDecision {
  if (!views.some((v) => v.open > 0)) return { at: null, early: [] };
  if (lastQueryAt === null) return { at: now, early: [] };
  const earliest = lastQueryAt + s.minGapMs;
  let at = lastQueryAt + s.intervalMs;
  const early: number[] = [];
  views.forEach((v, i) => {
    const due = stragglerDue(v, s.minGapMs);
    if (due === null) return;
    const when = Math.max(due, earliest);
    if (when < at) {
      at = when;
      early.length = 0;
    }
    if (when <= at) early.push(i);
  });
  // a straggler due no earlier than the regular query rides along with it: its early query is not spent
  return { at, early: at < lastQueryAt + s.intervalMs ? early : [] };
}

/** The loop's timing from `executor.poll` (seconds) or a test's `tickMs` (min: records read and shortest gap; max: interval). */
export function pollSettings(pollS: number | undefined, tickMs?: { min: number; max: number }): PollSettings & { readMs: number } {
  if (tickMs) return { readMs: tickMs.min, minGapMs: tickMs.min, intervalMs: Math.max(tickMs.min, tickMs.max) };
  return { readMs: 1000, minGapMs: MIN_POLL_S * 1000, intervalMs: Math.max(MIN_POLL_S, pollS ?? DEFAULT_POLL_S) * 1000 };
}
