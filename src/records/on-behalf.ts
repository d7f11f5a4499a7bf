// The failed record written on behalf of a task that ended without one of its own (cancelled, killed by the scheduler, lost): the fields its own record of the attempt has, the writer's fallbacks for the others.
import { hostname } from 'node:os';
import type { TaskRecord, TimesSource } from './record.js';

/** A record's times and where they come from. */
export interface RecordTimes {
  start: string;
  end: string;
  duration_s: number;
  times: TimesSource;
}

/** What the writer of a record on a task's behalf knows itself: the fallbacks for what the task's own record does not say. */
export interface OnBehalf {
  task: number;
  attempt: number;
  reason: string;
  source: 'controller' | 'scheduler';
  job_id: string | null;
  /** Default: null (e.g. no exit status). */
  exit_code?: number | null;
  signal?: string | null;
  /** Default: the array element's node is not known, so this host. */
  host?: string;
  /** Default: {@link noticedTimes}. */
  times?: RecordTimes;
  /** Default: '' (no simulation output). */
  stderr_tail?: string;
}

/** Start and end both now (when the controller noticed), duration 0: no better times are known. */
export function noticedTimes(now: Date = new Date()): RecordTimes {
  const t = now.toISOString();
  return { start: t, end: t, duration_s: 0, times: 'noticed' };
}

/**
 * A `failed` record of `w.task`'s attempt `w.attempt` with reason `w.reason`, written by `w.source`. `own` is the task's
 * own record of this attempt (one that ran and was stopped: a wrapper's `terminated` or `interrupted` record) or null:
 * its exit code, signal, host, job id, times and stderr tail are kept, since the task measured them itself; the
 * writer's fallbacks fill in the rest.
 */
export function failedOnBehalf(own: TaskRecord | null, w: OnBehalf): TaskRecord {
  const times = w.times ?? noticedTimes();
  return {
    task: w.task,
    attempt: w.attempt,
    status: 'failed',
    reason: w.reason,
    exit_code: own ? own.exit_code : (w.exit_code ?? null),
    signal: own ? own.signal : (w.signal ?? null),
    host: own?.host ?? w.host ?? hostname(),
    job_id: own?.job_id ?? w.job_id,
    start: own?.start ?? times.start,
    end: own?.end ?? times.end,
    duration_s: own?.duration_s ?? times.duration_s,
    result: null,
    stderr_tail: own?.stderr_tail ?? w.stderr_tail ?? '',
    source: w.source,
    ...(own?.start === undefined ? { times: times.times } : {}),
  };
}
