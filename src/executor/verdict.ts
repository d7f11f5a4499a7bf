// The record BatchRun writes on behalf of a task whose array element the scheduler called final without a usable record of its own.
import { hostname } from 'node:os';
import type { Submission } from '../journal/submissions.js';
import type { TaskRecord } from '../records/record.js';
import { stderrTailOf } from '../records/tail.js';
import { type ElementStatus, signalName } from '../scheduler/types.js';

/**
 * A `source: scheduler` failed record for `task` of submission `s`: the scheduler's reason (timeout, out of memory,
 * cancelled, ...) or `lost:` when it gives none; fields the task's own record of this attempt (`prev`) has are kept.
 * Its stderr tail is the task's own, else the end of the element's job log `log` (e.g. slurmstepd's oom_kill line).
 * A signal that ended the element (sacct's `0:9` of an out-of-memory kill) is its signal, with no exit code: the
 * element's `0` there is no exit status.
 */
export function schedulerRecord(task: number, s: Submission, st: ElementStatus, reason: string | null, prev: TaskRecord | null, scheduler: string, log = ''): TaskRecord {
  const now = new Date().toISOString();
  const own = prev && prev.attempt >= s.attempt ? prev : null;
  return {
    task,
    attempt: s.attempt,
    status: 'failed',
    reason: reason ?? `lost: the array element ended (${scheduler} ${st.rawState}) without a record for this task`,
    exit_code: own ? own.exit_code : st.signal === undefined ? (st.exitCode ?? null) : null,
    signal: own ? own.signal : st.signal === undefined ? null : signalName(st.signal),
    host: own?.host ?? st.node ?? hostname(),
    job_id: `${s.jobId}_${st.index}`,
    start: own?.start ?? now,
    end: own?.end ?? now,
    duration_s: own?.duration_s ?? 0,
    result: null,
    stderr_tail: own?.stderr_tail ?? stderrTailOf(log),
    source: 'scheduler',
  };
}
