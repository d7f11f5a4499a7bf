// The record BatchRun writes on behalf of a task whose array element the scheduler called final without a usable record of its own.
import type { Submission } from '../journal/submissions.js';
import { type RecordTimes, failedOnBehalf, noticedTimes } from '../records/on-behalf.js';
import type { TaskRecord } from '../records/record.js';
import { stderrTailOf } from '../records/tail.js';
import { type ElementStatus, type SchedulerState, signalName } from '../scheduler/types.js';

/** How far ahead of this host's clock the scheduler's end of an element may be (clock skew) before it is not believed (see elementTimes). */
const CLOCK_SLACK_MS = 60_000;

/**
 * What is known of whether a task of an ended element started, from the element's start lines (records/starts.ts): its
 * start time (`{ at }`), or `never`; without start lines (an element of one task, an older runner, one killed before it
 * began any), `first` for the first task of its slice (which the element starts first), else `unknown`.
 */
export type TaskBegan = { at: string } | 'never' | 'first' | 'unknown';

/** What a failed row of a task its element never started adds to the element's reason. */
export const NEVER_STARTED = '; this task never started: its array element ended before starting it';

/**
 * The earliest header time (epoch ms) of start lines of the element's last run, for parseStarts: the element's start as
 * the scheduler gives it, less the clock slack (a requeued element killed before its new run wrote a header leaves the
 * earlier run's lines). A scheduler that gives an end but no start says the last run never started (a requeued element
 * cancelled while pending): no line is its. Without times (PBS, a vanished element) any last run's lines count.
 */
export function linesSince(st: ElementStatus): number {
  const start = st.start === undefined ? NaN : Date.parse(st.start);
  if (!Number.isNaN(start)) return start - CLOCK_SLACK_MS;
  return st.end !== undefined && !Number.isNaN(Date.parse(st.end)) ? Infinity : -Infinity;
}

/**
 * The ends of an element after which its start lines may lack their last ones: they are not fsynced, and its node went
 * down (a node or boot failure) or may have (an element the scheduler no longer knows: `unknown`).
 */
const LINES_MAY_BE_LOST: ReadonlySet<SchedulerState> = new Set<SchedulerState>(['node_fail', 'boot_fail', 'unknown']);

/**
 * What `starts` (parseStarts of the element's starts file) says of `task`; `first`: the first task of the element's
 * slice; `state`: how the element ended. A task without a line never started, unless the element's node may have lost
 * the last lines ({@link LINES_MAY_BE_LOST}): then it is known no better than without start lines.
 */
export function taskBegan(starts: ReadonlyMap<number, string> | null, task: number, first: boolean, state?: SchedulerState): TaskBegan {
  const at = starts?.get(task);
  if (at !== undefined) return { at };
  if (starts === null || (state !== undefined && LINES_MAY_BE_LOST.has(state))) return first ? 'first' : 'unknown';
  return 'never';
}

/**
 * The times of a task of an element the scheduler ended, from what `began` says and the scheduler's start and end of
 * the element (Slurm's squeue %S/%e, sacct Start/End). A task the element's runner noted as started ran from then to
 * the element's end (`task_start`); one it never started has the element's end as both (`not_started`). Without start
 * lines, the `first` task ran from the element's start to its end (`element`); any other task of its bundle may never
 * have started, and when it did is unknown, so both its times are the element's end (`element_end`). Without an end (a
 * state-only or PBS answer, a vanished element) the end is `now` (`noticed`, unless start lines say more); a task noted
 * as started then ends no later than its start plus the element's time limit `limitS` (seconds, 0: none), however
 * late the controller noticed (a resume hours after a Ctrl-C). The
 * scheduler's times are instants (Slurm's asked as epoch seconds), whatever the zones of the cluster and of this host;
 * an end more than a minute past this host's clock (a cluster clock running ahead) is not believed either. A start
 * after the end (the node's clock ahead of the scheduler's) ends there too: duration 0.
 */
export function elementTimes(st: ElementStatus, began: TaskBegan, now: Date = new Date(), limitS = 0): RecordTimes {
  const scheduled = st.end === undefined ? NaN : Date.parse(st.end);
  const end = Number.isNaN(scheduled) || scheduled > now.getTime() + CLOCK_SLACK_MS ? null : scheduled;
  const endIso = end === null ? now.toISOString() : (st.end as string);
  if (began === 'never') return { start: endIso, end: endIso, duration_s: 0, times: 'not_started' };
  if (typeof began === 'object') {
    const from = Date.parse(began.at);
    const until = end ?? Math.min(now.getTime(), limitS > 0 ? from + limitS * 1000 : Infinity);
    const ran = until - from;
    const untilIso = until === end ? endIso : new Date(until).toISOString();
    return ran > 0 ? { start: began.at, end: untilIso, duration_s: ran / 1000, times: 'task_start' } : { start: began.at, end: began.at, duration_s: 0, times: 'task_start' };
  }
  if (end === null) return noticedTimes(now);
  const start = began === 'first' && st.start !== undefined ? Date.parse(st.start) : NaN;
  if (Number.isNaN(start) || start > end) return { start: st.end as string, end: st.end as string, duration_s: 0, times: 'element_end' };
  return { start: st.start as string, end: st.end as string, duration_s: (end - start) / 1000, times: 'element' };
}

/**
 * A `source: scheduler` failed record for `task` of submission `s`: the scheduler's reason (timeout, out of memory,
 * cancelled, ...) or `lost:` when it gives none, with {@link NEVER_STARTED} after it when the element's start lines say
 * it never started; fields the task's own record of this attempt (`prev`) has are kept.
 * Its times are `prev`'s, else from `began` and the element's, bounded by its time limit `limitS` ({@link elementTimes}).
 * Its stderr tail is the task's own, else the end of the element's job log `log` (e.g. slurmstepd's oom_kill line).
 * A signal that ended the element (sacct's `0:9` of an out-of-memory kill) is its signal, with no exit code: the
 * element's `0` there is no exit status.
 */
export function schedulerRecord(
  task: number,
  s: Submission,
  st: ElementStatus,
  reason: string | null,
  prev: TaskRecord | null,
  scheduler: string,
  log = '',
  began: TaskBegan = 'unknown',
  limitS = 0,
): TaskRecord {
  const own = prev && prev.attempt >= s.attempt ? prev : null;
  const why = reason ?? `lost: the array element ended (${scheduler} ${st.rawState}) without a record for this task`;
  return failedOnBehalf(own, {
    task,
    attempt: s.attempt,
    reason: !own && began === 'never' ? why + NEVER_STARTED : why,
    source: 'scheduler',
    job_id: `${s.jobId}_${st.index}`,
    exit_code: st.signal === undefined ? (st.exitCode ?? null) : null,
    signal: st.signal === undefined ? null : signalName(st.signal),
    host: st.node,
    times: elementTimes(st, began, new Date(), limitS),
    stderr_tail: stderrTailOf(log),
  });
}
