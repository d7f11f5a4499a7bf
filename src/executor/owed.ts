// Which attempt each task is owed: first runs, automatic retries (retries, retry_on) and retries asked for by hand.
import type { ResourceSpec } from '../config/types.js';
import type { JournalEntry } from '../journal/journal.js';
import type { PlanFile } from '../plan/plan.js';
import type { TaskRecord } from '../records.js';

/** One unit of work: run `task` as attempt `attempt`. */
export interface WorkItem {
  task: number;
  attempt: number;
}

export interface RetryPolicy {
  retries: number;
  /** Failure kinds that are retried automatically (all when null). */
  on: Set<string> | null;
  /** task -> the attempt after which `arrayflow retry` asked for one more. */
  requested: Map<number, number>;
}

/** The failure kind of a later stage's task whose upstream task did not succeed. */
export const UPSTREAM_FAILED = 'upstream failed';

/** The kind of a failure reason: `timeout`, `out of memory`, `exit code`, `signal`, `lost`, ... */
export function reasonKind(reason: string | null): string {
  if (!reason) return '';
  if (reason.startsWith('exit code')) return 'exit code';
  if (reason.startsWith('killed by signal')) return 'signal';
  const colon = reason.indexOf(':');
  return colon < 0 ? reason : reason.slice(0, colon);
}

export function retryPolicy(plan: Pick<PlanFile, 'retries' | 'executor'>, journal: JournalEntry[] = []): RetryPolicy {
  const requested = new Map<number, number>();
  for (const e of journal) if (e.event === 'retry') for (const [task, after] of e.tasks) requested.set(task, after);
  return { retries: plan.retries, on: plan.executor.retry_on ? new Set(plan.executor.retry_on) : null, requested };
}

/** The attempt a task with final record `rec` is owed next, or null when it is finished. */
export function owedAttempt(rec: TaskRecord | undefined, policy: RetryPolicy): number | null {
  if (!rec) return 1;
  if (rec.status !== 'failed') return null;
  if (policy.requested.get(rec.task) === rec.attempt) return rec.attempt + 1;
  const kind = reasonKind(rec.reason);
  // a task whose upstream task failed would fail again: it is rerun when the upstream row is fixed (docs/stages.md)
  if (kind === UPSTREAM_FAILED) return null;
  const automatic = rec.attempt <= policy.retries && (policy.on === null || policy.on.has(kind));
  return automatic ? rec.attempt + 1 : null;
}

/** Every task of the plan that is owed an attempt. */
export function owedItems(tasks: number, finals: Map<number, TaskRecord>, policy: RetryPolicy): WorkItem[] {
  const items: WorkItem[] = [];
  for (let task = 0; task < tasks; task++) {
    const attempt = owedAttempt(finals.get(task), policy);
    if (attempt !== null) items.push({ task, attempt });
  }
  return items;
}

/** Slurm-syntax time (MM, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]) in seconds. */
export function parseSlurmTime(time: string): number {
  const [days, rest] = time.includes('-') ? time.split('-') : ['0', time];
  const parts = rest.split(':').map(Number);
  const d = Number(days);
  if (time.includes('-')) {
    const [h = 0, m = 0, s = 0] = parts;
    return ((d * 24 + h) * 60 + m) * 60 + s;
  }
  if (parts.length === 1) return parts[0] * 60;
  if (parts.length === 2) return parts[0] * 60 + parts[1];
  return (parts[0] * 60 + parts[1]) * 60 + parts[2];
}

function formatSlurmTime(seconds: number): string {
  const s = Math.ceil(seconds);
  const d = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return d > 0 ? `${d}-${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}`;
}

/** Resources of attempt `attempt` under retry_scale (time and memory grow by factor^(attempt-1)). */
export function scaleResources(resources: ResourceSpec, scale: { time?: number; mem?: number } | undefined, attempt: number): ResourceSpec {
  if (!scale || attempt <= 1) return resources;
  const out = { ...resources };
  if (scale.time && resources.time) out.time = formatSlurmTime(parseSlurmTime(resources.time) * scale.time ** (attempt - 1));
  if (scale.mem && resources.mem) {
    const m = /^(\d+)([KMGT]?)B?$/i.exec(resources.mem);
    if (m) {
      const units = ['K', 'M', 'G', 'T'];
      const mb = Number(m[1]) * 1024 ** (units.indexOf((m[2] || 'M').toUpperCase()) - 1);
      out.mem = `${Math.ceil(mb * scale.mem ** (attempt - 1))}M`;
    }
  }
  return out;
}
