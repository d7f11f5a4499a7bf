// The exactly-once rule: which of a task's records (retries, duplicates, on-behalf records) is its final one.
import { parseIso } from '../util/iso-time.js';
import { recordLine } from './line.js';
import type { TaskRecord, TaskStatus } from './record.js';
import { RunCounter } from './runs.js';

/**
 * A wrapper failure killed by SIGTERM ("terminated ...") cannot tell a time limit from a cancel or a
 * preemption: its row waits for the scheduler's final state to give the reason. A record without
 * `source` was written by a wrapper (as {@link selectFinal} ranks it).
 */
export function awaitsScheduler(r: Pick<TaskRecord, 'source' | 'status' | 'reason'>): boolean {
  return (r.source ?? 'wrapper') === 'wrapper' && r.status === 'failed' && (r.reason ?? '').startsWith('terminated');
}

/** Higher wins at equal attempt: the wrapper saw the task run, the others only infer its fate; an interrupted attempt has none. */
export function rankOf(status: TaskStatus, source: TaskRecord['source']): number {
  if (status === 'interrupted') return -1;
  switch (source ?? 'wrapper') {
    case 'wrapper':
      return status === 'done' ? 3 : 2;
    // sacct-derived reasons (timeout, out of memory, node failure) are more specific than the controller's "lost".
    case 'scheduler':
      return 1;
    default:
      return 0;
  }
}

/** The `end` of a record as ranked: Date.parse of it, Infinity when it is no date (last among equals). */
export function endMs(end: unknown): number {
  const t = typeof end === 'string' ? parseIso(end) : NaN;
  return Number.isNaN(t) ? Infinity : t;
}

/** What {@link compareRecords} looks at before the JSON text: numbers a reader can keep per task instead of the record. */
export interface RecordKey {
  attempt: number;
  rank: number;
  end: number;
}

export function recordKey(r: TaskRecord): RecordKey {
  return { attempt: r.attempt, rank: rankOf(r.status, r.source), end: endMs(r.end) };
}

/** The order of {@link compareRecords} on keys alone: 0 when the keys tie and only the JSON text can tell. */
export function compareKeys(a: RecordKey, b: RecordKey): number {
  if (a.attempt !== b.attempt) return b.attempt - a.attempt;
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (a.end !== b.end) return a.end < b.end ? -1 : 1;
  return 0;
}

/**
 * Total order on records of one task: negative when `a` should be final rather than `b`. Ties beyond
 * attempt and rank go to the earliest end (the first copy to finish, as a follower would see it), then
 * to the smaller JSON text, so the choice never depends on the order records were read in.
 */
function compare(a: TaskRecord, b: TaskRecord): number {
  const k = compareKeys(recordKey(a), recordKey(b));
  if (k !== 0) return k;
  const ja = recordLine(a);
  const jb = recordLine(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/** `r` with the reason of `s`, the best scheduler record of its task, where a SIGTERM left r's own reason vague (see {@link selectFinal}). */
export function refine(r: TaskRecord, s: TaskRecord | undefined): TaskRecord {
  if ((r.source ?? 'wrapper') !== 'wrapper' || r.status !== 'failed') return r;
  if (typeof r.reason !== 'string' || !r.reason.startsWith('terminated')) return r;
  // `s` is the scheduler record of the highest attempt, which can only be r's attempt or lower.
  if (s === undefined || s.attempt !== r.attempt || typeof s.reason !== 'string' || s.reason === '') return r;
  return { ...r, reason: s.reason };
}

/**
 * Picks each task's final record: the highest attempt; at equal attempt a wrapper `done`, then a
 * wrapper `failed`, then a scheduler record, then a controller record, then an `interrupted` one. A wrapper failure whose reason
 * starts with "terminated" (SIGTERM: time limit or scancel, the wrapper cannot tell) takes the reason of
 * a scheduler record of the same attempt, keeping its other fields. Each final record carries `runs`: how many wrapper
 * records its attempt has (records/runs.ts). Independent of input order.
 */
export function selectFinal(records: TaskRecord[]): Map<number, TaskRecord> {
  const best = new Map<number, TaskRecord>();
  const bestScheduler = new Map<number, TaskRecord>();
  const runs = new RunCounter();
  for (const r of records) {
    runs.add(r);
    const cur = best.get(r.task);
    if (cur === undefined || compare(r, cur) < 0) best.set(r.task, r);
    if (r.source === 'scheduler') {
      const s = bestScheduler.get(r.task);
      if (s === undefined || compare(r, s) < 0) bestScheduler.set(r.task, r);
    }
  }
  // Ascending task order, so even iteration order does not depend on the input order.
  const tasks = [...best.keys()].sort((a, b) => a - b);
  const finals = new Map<number, TaskRecord>();
  for (const task of tasks) {
    const r = best.get(task)!;
    finals.set(task, runs.withRuns(refine(r, bestScheduler.get(task))));
  }
  return finals;
}

/** The order {@link selectFinal} uses, for incremental followers (negative: `a` is preferred to `b`). */
export { compare as compareRecords };
