// Collecting one ensemble: the dataset from its records, the failures log, and the journal's `collected` event.
import { collect } from '../collect/collect.js';
import { removeLiveParts } from '../collect/live-dataset.js';
import { appendJournal } from '../journal/journal.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { readTaskTable } from '../plan/tasks.js';
import type { TaskRecord } from '../records/record.js';
import { writeFileAtomic } from '../util/fs.js';
import { type RunResult, countCancelled, countFinals } from './types.js';

/** logs/failures.ndjson: per failed task its parameters, reason, exit code and stderr tail (derived; rewritten whole). */
async function writeFailuresLog(layout: EnsembleLayout, finals: Map<number, TaskRecord>): Promise<void> {
  const lines: string[] = [];
  const failed = [...finals.values()].filter((r) => r.status === 'failed').sort((a, b) => a.task - b.task);
  if (failed.length === 0) return writeFileAtomic(layout.failuresLog, '');
  const rows = await readTaskTable(layout);
  for (const r of failed) {
    lines.push(JSON.stringify({ task: r.task, attempt: r.attempt, params: rows[r.task]?.params, reason: r.reason, exit_code: r.exit_code, stderr_tail: r.stderr_tail ?? '' }));
  }
  await writeFileAtomic(layout.failuresLog, lines.join('\n') + '\n');
}

/** Collects the dataset of an ensemble and rewrites its failures log. */
export async function collectEnsemble(layout: EnsembleLayout, plan: PlanFile): Promise<RunResult> {
  return (await collectWithFinals(layout, plan)).result;
}

/** collectEnsemble, also returning the final records it read (a multi-stage collection builds the root's rows from them). */
export async function collectWithFinals(layout: EnsembleLayout, plan: PlanFile): Promise<{ result: RunResult; finals: Map<number, TaskRecord> }> {
  const c = await collect(layout, plan.param_names);
  const finals = c.finals;
  // the parts of an earlier live view are superseded (left alone while a live process keeps them)
  await removeLiveParts(layout);
  await writeFailuresLog(layout, finals);
  appendJournal(layout.journal, { event: 'collected', rows: c.rows, done: c.done, failed: c.failed });
  return { result: { ensembleDir: layout.root, ...countFinals(plan, finals), cancelled: countCancelled(finals), parquet: c.files.parquet, csv: c.files.csv, badLines: c.badLines }, finals };
}
