// Which attempt each task is owed: first runs, automatic retries (retries, retry_on) and retries asked for by hand.
import type { FinalBrief, FinalsView } from './record.js';

/** One unit of work: run `task` as attempt `attempt`. */
export interface WorkItem {
  task: number;
  attempt: number;
}

/**
 * The line a local worker prints on stdout once it has read the plan and its task table, before its first record
 * (items go the other way, one JSON WorkItem a line on its stdin): a worker that dies before it says so has started nothing.
 */
export const WORKER_READY = 'ready';

export interface RetryPolicy {
  retries: number;
  /** Failure kinds that are retried automatically (all when null). */
  on: Set<string> | null;
  /** task -> the attempt after which `arrayflow retry` asked for one more. */
  requested: Map<number, number>;
}

/** The failure kind of a later stage's task whose upstream task did not succeed. */
export const UPSTREAM_FAILED = 'upstream failed';

/** The failure kind of a cancelled task (scancel, qdel, `arrayflow cancel`): never retried automatically. */
export const CANCELLED = 'cancelled';

/** The failure kind of a task whose record the filesystem refused (records/storage.ts). */
export const STORAGE_FAILED = 'storage';

/** The failure kinds a failed row's reason starts with, as `retry_on` (the config schema's enum) and `retry --reason` name them. */
export const FAILURE_KINDS: readonly string[] = ['timeout', 'out of memory', 'node failure', 'preempted', 'cancelled', 'lost', 'exit code', 'signal', 'no result', 'bad result', 'terminated', 'boot failure', 'deadline'];

/** The kind of a failure reason: `timeout`, `out of memory`, `exit code`, `signal`, `lost`, ... */
export function reasonKind(reason: string | null): string {
  if (!reason) return '';
  if (reason.startsWith('exit code')) return 'exit code';
  if (reason.startsWith('killed by signal')) return 'signal';
  const colon = reason.indexOf(':');
  return colon < 0 ? reason : reason.slice(0, colon);
}

/**
 * The retry policy of an ensemble: `retries` automatic retries of the failure kinds in `retryOn` (all when
 * absent; never `cancelled`), plus the `[task, after attempt]` requests of `arrayflow retry` (later requests win).
 */
export function retryPolicy(retries: number, retryOn: readonly string[] | undefined, requests: Iterable<readonly [number, number]> = []): RetryPolicy {
  return { retries, on: retryOn ? new Set(retryOn) : null, requested: new Map(requests) };
}

/** The attempt a task with final record `rec` is owed next, or null when it is finished. */
export function owedAttempt(rec: FinalBrief | undefined, policy: RetryPolicy): number | null {
  if (!rec) return 1;
  // an interrupted attempt is no failure: the next run gives the task the next attempt, whatever the retry policy
  if (rec.status === 'interrupted') return rec.attempt + 1;
  if (rec.status !== 'failed') return null;
  if (policy.requested.get(rec.task) === rec.attempt) return rec.attempt + 1;
  const kind = reasonKind(rec.reason);
  // its record could not be written (records/storage.ts): no outcome was kept, and the controller stopped on it
  if (kind === STORAGE_FAILED) return rec.attempt + 1;
  // a task whose upstream task failed would fail again: it is rerun when the upstream row is fixed (docs/stages.md)
  if (kind === UPSTREAM_FAILED) return null;
  // a cancel is someone's decision to stop the task (scancel, qdel, `arrayflow cancel`): only `arrayflow retry` undoes it,
  // whatever `retries` and `retry_on` say (an automatic retry resubmitted the tasks of a cancelled ensemble)
  if (kind === CANCELLED) return null;
  const automatic = rec.attempt <= policy.retries && (policy.on === null || policy.on.has(kind));
  return automatic ? rec.attempt + 1 : null;
}

/** Every task of the plan that is owed an attempt. */
export function owedItems(tasks: number, finals: FinalsView, policy: RetryPolicy): WorkItem[] {
  const items: WorkItem[] = [];
  for (let task = 0; task < tasks; task++) {
    const attempt = owedAttempt(finals.get(task), policy);
    if (attempt !== null) items.push({ task, attempt });
  }
  return items;
}
