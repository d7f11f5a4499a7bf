// `arrayflow status`: done / failed / pending counts of an ensemble (per stage for a multi-stage one), its chunks' states, its failed tasks.
import { readdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { SchedulerRunner } from '../executor/runner.js';
import { type SettingChange, readJournal, settingsHistory } from '../journal/journal.js';
import { journalSubmissions } from '../journal/submissions.js';
import { EnsembleLayout } from '../layout/layout.js';
import { readPlan } from '../plan/read.js';
import { readFinals } from '../records/read.js';
import type { TaskRecord } from '../records/record.js';
import { type TaskRow, readTaskTable } from '../plan/tasks.js';
import { batchScheduler } from '../scheduler/registry.js';
import type { ElementStatus } from '../scheduler/types.js';
import type { Transport } from '../transport/transport.js';
import { readStages } from './stages.js';
import { schedulerTransport } from './transport.js';
import { type Counts, countCancelled, countFinals } from './types.js';

export interface EnsembleStatus extends Counts {
  ensembleDir: string;
  name: string;
  /** Failed tasks that were cancelled (`retry --failed --reason cancelled` runs them again). */
  cancelled: number;
}

/** Done / failed / pending counts of an ensemble directory. */
export async function ensembleStatus(ensembleDir: string): Promise<EnsembleStatus> {
  const { layout, plan } = await readPlan(ensembleDir);
  const finals = await readFinals(layout.resultsDir);
  return { ensembleDir: layout.root, name: plan.name, ...countFinals(plan, finals), cancelled: countCancelled(finals) };
}

/**
 * The execution settings that differ from those the ensemble was planned with, from the journal's `settings`
 * events: per key the planned value, the current one and when it last changed.
 */
export async function changedSettings(ensembleDir: string): Promise<Array<SettingChange & { ts: string }>> {
  const { layout } = await readPlan(ensembleDir);
  const net = new Map<string, SettingChange & { ts: string }>();
  for (const { ts, changes } of settingsHistory(await readJournal(layout.journal))) {
    for (const c of changes) net.set(c.key, { key: c.key, from: net.has(c.key) ? net.get(c.key)?.from : c.from, to: c.to, ts });
  }
  return [...net.values()].filter((c) => JSON.stringify(c.from) !== JSON.stringify(c.to));
}

export interface ChunkStatus {
  label: string;
  jobId: string;
  attempt: number;
  elements: number;
  counts: Record<string, number>;
}

/** Per submission, how many array elements the scheduler reports in each state (one status query). */
export async function chunkStatus(ensembleDir: string, opts: { transport?: Transport } = {}): Promise<ChunkStatus[]> {
  const { layout, plan } = await readPlan(ensembleDir);
  const subs = await journalSubmissions(layout);
  if (subs.length === 0 || plan.executor.type === 'local') return [];
  const transport = opts.transport ?? (await schedulerTransport(plan.executor));
  const runner = new SchedulerRunner(batchScheduler(plan.executor.type, plan.executor.dialect), transport);
  let statuses: ElementStatus[];
  try {
    await runner.limits();
    statuses = await runner.status(subs.map((s) => s.jobId));
  } finally {
    if (!opts.transport) await transport.close();
  }
  return subs.map((s) => {
    const counts: Record<string, number> = {};
    const byIndex = runner.sched.statusByIndex(statuses, s.jobId);
    for (let i = 0; i < s.count; i++) {
      const state = byIndex.get(i)?.state ?? 'unknown';
      counts[state] = (counts[state] ?? 0) + 1;
    }
    return { label: s.label, jobId: s.jobId, attempt: s.attempt, elements: s.count, counts };
  });
}


/**
 * A failed task as `status --failed` shows it: its final record (reason, attempt, stderr tail), the parameters it
 * ran with, and the paths of its kept stdout and stderr (config `logs`; null when none were kept).
 */
export type FailedTask = TaskRecord & { params: TaskRow['params']; seed: number; logs: { stdout: string; stderr: string } | null };

/** The failed tasks of an ensemble, by task id: final record, parameters, seed and kept logs. */
export async function failedTasks(ensembleDir: string): Promise<FailedTask[]> {
  const { layout } = await readPlan(ensembleDir);
  const failed = [...(await readFinals(layout.resultsDir)).values()].filter((r) => r.status === 'failed').sort((a, b) => a.task - b.task);
  if (failed.length === 0) return [];
  const rows = await readTaskTable(layout);
  // one listing of logs/tasks/ rather than a stat per failed task
  const kept = new Set(await readdir(layout.taskLogsDir).catch(() => [] as string[]));
  return failed.map((r) => {
    const [stdout, stderr] = (['stdout', 'stderr'] as const).map((s) => layout.taskLog(r.task, r.attempt, s));
    const logs = kept.has(basename(stderr)) ? { stdout, stderr } : null;
    return { ...r, params: rows[r.task]?.params ?? {}, seed: rows[r.task]?.seed ?? 0, logs };
  });
}

/** The status of each stage of a multi-stage ensemble (`status <dir>/stages/<name>` gives a stage's chunks), or null for a single-stage one. */
export async function stagesStatus(ensembleDir: string): Promise<{ name: string; ensembleDir: string; stages: Array<EnsembleStatus & { stage: string }> } | null> {
  const staged = await readStages(ensembleDir);
  if (!staged) return null;
  const layout = new EnsembleLayout(ensembleDir);
  const stages = await Promise.all(staged.stages.map(async (st) => ({ stage: st.name, ...(await ensembleStatus(layout.stageDir(st.name))) })));
  return { name: staged.name, ensembleDir, stages };
}
