// The record BatchRun writes on behalf of a task whose array element the scheduler called final without a usable record of its own.
import type { Submission } from '../journal/submissions.js';
import { type RecordTimes, failedOnBehalf, noticedTimes } from '../records/on-behalf.js';
import type { TaskRecord } from '../records/record.js';
import { stderrTailOf } from '../records/tail.js';
import { type ElementStatus, signalName } from '../scheduler/types.js';

/** How far ahead of this host's clock the scheduler's end of an element may be (clock skew) before it is not believed (see elementTimes). */
const CLOCK_SLACK_MS = 60_000;

/**
 * The times of a task of an element the scheduler ended, from the scheduler's start and end of the element (Slurm's
 * squeue %S/%e, sacct Start/End). The element's `first` task (the first of its slice, which it starts first) ran from
 * the element's start to its end; any other task of its bundle may never have started, and when it did is unknown,
 * so both its times are the element's end. Without an end (a state-only or PBS answer, a vanished element) both are
 * `now`. The scheduler's times are instants (Slurm's asked as epoch seconds), whatever the zones of the cluster and of
 * this host; an end more than a minute past this host's clock (a cluster clock running ahead) is not believed either.
 */
export function elementTimes(st: ElementStatus, first: boolean, now: Date = new Date()): RecordTimes {
  const end = st.end === undefined ? NaN : Date.parse(st.end);
  if (Number.isNaN(end) || end > now.getTime() + CLOCK_SLACK_MS) return noticedTimes(now);
  const start = first && st.start !== undefined ? Date.parse(st.start) : NaN;
  if (Number.isNaN(start) || start > end) return { start: st.end as string, end: st.end as string, duration_s: 0, times: 'element_end' };
  return { start: st.start as string, end: st.end as string, duration_s: (end - start) / 1000, times: 'element' };
}

/**
 * A `source: scheduler` failed record for `task` of submission `s`: the scheduler's reason (timeout, out of memory,
 * cancelled, ...) or `lost:` when it gives none; fields the task's own record of this attempt (`prev`) has are kept.
 * Its times are `prev`'s, else the element's ({@link elementTimes}; `first`: the task is the first its element ran).
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
  first = false,
): TaskRecord {
  const own = prev && prev.attempt >= s.attempt ? prev : null;
  return failedOnBehalf(own, {
    task,
    attempt: s.attempt,
    reason: reason ?? `lost: the array element ended (${scheduler} ${st.rawState}) without a record for this task`,
    source: 'scheduler',
    job_id: `${s.jobId}_${st.index}`,
    exit_code: st.signal === undefined ? (st.exitCode ?? null) : null,
    signal: st.signal === undefined ? null : signalName(st.signal),
    host: st.node,
    times: elementTimes(st, first),
    stderr_tail: stderrTailOf(log),
  });
}
