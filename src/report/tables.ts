// The report's tables (pure): stages, array jobs, failure reasons and failed tasks, as rows of text cells.
import { formatSeconds } from '../plan/bundle.js';
import type { TaskRecord } from '../records/record.js';
import type { ReportData, ReportStage } from './gather.js';
import { stageLabel } from './derive.js';

/** A table of text cells; `numeric` columns are right-aligned. */
export interface Table {
  head: string[];
  numeric: boolean[];
  rows: string[][];
}

/** A failed task as the report lists it. */
export interface FailureRow {
  stage: string;
  task: number;
  record: TaskRecord;
  params: string;
}

// The page lists this many failed tasks; `arrayflow status <dir> --failed` lists them all.
export const MAX_FAILURES = 200;

const time = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
const seconds = (s: number | null) => (s === null ? '-' : formatSeconds(s));

/** First start, last end, mean and max duration of some final records. */
function timing(records: TaskRecord[]): string[] {
  if (records.length === 0) return ['-', '-', '-', '-'];
  let first = Infinity;
  let last = -Infinity;
  let sum = 0;
  let max = 0;
  for (const r of records) {
    first = Math.min(first, Date.parse(r.start));
    last = Math.max(last, Date.parse(r.end));
    sum += r.duration_s;
    max = Math.max(max, r.duration_s);
  }
  return [time(first), time(last), seconds(sum / records.length), seconds(max)];
}

const TIMING_HEAD = ['first start', 'last end', 'mean duration', 'max duration'];

/**
 * The array layout that ran: each submission's bundle in order (a probe's one task per element, then the bundle it
 * learned) and the elements submitted; the plan's before any submission (and on the local executor).
 */
function arrayLayout(s: ReportStage): [string, string] {
  if (s.submissions.length === 0) return [String(s.bundle), String(s.elements)];
  const bundles = [...new Set(s.submissions.map((x) => x.bundle ?? s.bundle))];
  return [bundles.join(', '), String(s.submissions.reduce((n, x) => n + x.count, 0))];
}

/** One row per stage (one for a single-stage ensemble): counts, executor, array layout, timing. */
export function stagesTable(data: ReportData): Table {
  const head = ['stage', 'tasks', 'done', 'failed', 'pending', 'executor', 'bundle', 'elements', 'array jobs', ...TIMING_HEAD];
  const rows = data.stages.map((s) => [
    stageLabel(data, s),
    ...[s.counts.total, s.counts.done, s.counts.failed, s.counts.pending].map(String),
    s.executor,
    ...arrayLayout(s),
    String(s.submissions.length),
    ...timing([...s.finals.values()]),
  ]);
  return { head, numeric: head.map((_, i) => i > 0 && i !== 5 && i < 9), rows };
}

/** The array job of an element's job id (`1234_7` -> `1234`; PBS `1234[].server_7` -> `1234[].server`). */
function arrayJob(jobId: string | null): string | null {
  return jobId === null ? null : jobId.replace(/_\d+$/, '');
}

/** One row per array job of a stage (journal `submitted` events) with the outcomes of the tasks its elements recorded; null on the local executor. */
export function submissionsTable(s: ReportStage): Table | null {
  if (s.submissions.length === 0) return null;
  const byJob = new Map<string, TaskRecord[]>();
  for (const r of s.finals.values()) {
    const job = arrayJob(r.job_id);
    if (job === null) continue;
    const list = byJob.get(job);
    if (list) list.push(r);
    else byJob.set(job, [r]);
  }
  const head = ['chunk', 'job id', 'attempt', 'elements', 'first element', 'tasks recorded', 'done', 'failed', ...TIMING_HEAD];
  const rows = s.submissions.map((sub) => {
    const recs = byJob.get(sub.jobId) ?? [];
    const done = recs.filter((r) => r.status === 'done').length;
    return [sub.label, sub.jobId, String(sub.attempt), String(sub.count), String(sub.offset), String(recs.length), String(done), String(recs.length - done), ...timing(recs)];
  });
  return { head, numeric: head.map((_, i) => i >= 2 && i < 8), rows };
}

/** A failure reason's category: its words before the first colon (`timeout`, `exit code 3`, `upstream failed`). */
export function reasonCategory(reason: string | null): string {
  const r = (reason ?? 'failed').trim();
  const colon = r.indexOf(':');
  return colon < 0 ? r : r.slice(0, colon);
}

/** Every failed task of every stage, in stage and task order, with its parameters as `name=value` text. */
export function failures(data: ReportData): FailureRow[] {
  const out: FailureRow[] = [];
  for (const s of data.stages) {
    for (const t of s.tasks) {
      const record = s.finals.get(t.id);
      if (record?.status !== 'failed') continue;
      const params = Object.entries(t.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
      out.push({ stage: stageLabel(data, s), task: t.id, record, params });
    }
  }
  return out;
}

/** How many failed tasks each reason category has (most first), with the first task of each. */
export function reasonsTable(rows: FailureRow[], staged: boolean): Table {
  const by = new Map<string, { n: number; first: FailureRow }>();
  for (const f of rows) {
    const key = reasonCategory(f.record.reason);
    const e = by.get(key);
    if (e) e.n++;
    else by.set(key, { n: 1, first: f });
  }
  const sorted = [...by].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));
  const first = (f: FailureRow) => (staged ? `${f.stage} task ${f.task}` : `task ${f.task}`);
  return {
    head: ['reason', 'tasks', 'first'],
    numeric: [false, true, false],
    rows: sorted.map(([reason, e]) => [reason, String(e.n), first(e.first)]),
  };
}
