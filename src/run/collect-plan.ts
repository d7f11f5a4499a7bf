// Collecting one ensemble: the dataset from its records, the failures log, and the journal's `collected` and `reran` events.
import { collect } from '../collect/collect.js';
import { DEFAULT_DATASET, type DatasetSpec } from '../config/types.js';
import { removeLiveParts } from '../collect/live-dataset.js';
import { appendJournal, readJournal, unjournalledReruns } from '../journal/journal.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { pointBlocks } from '../plan/points.js';
import type { TaskRow } from '../plan/tasks.js';
import type { TaskRecord } from '../records/record.js';
import { writeFileAtomic } from '../util/fs.js';
import { type CollectOverrides, type RunResult, isCancelled } from './types.js';

/** One line of logs/failures.ndjson: a failed task's parameters, reason, exit code and stderr tail. */
function failureLine(row: TaskRow, r: TaskRecord): string {
  return JSON.stringify({ task: r.task, attempt: r.attempt, params: row.params, reason: r.reason, exit_code: r.exit_code, stderr_tail: r.stderr_tail ?? '' });
}

/** The dataset files of a plan (DEFAULT_DATASET in plans written before `dataset` existed), with `over.formats` instead of its formats. */
export function datasetOf(plan: Pick<PlanFile, 'dataset'> | undefined, over: CollectOverrides): DatasetSpec {
  const spec = plan?.dataset ?? DEFAULT_DATASET;
  return over.formats ? { ...spec, formats: over.formats } : spec;
}

/** Collects the dataset of an ensemble (the files of the plan's `dataset`, or `over.formats`) and rewrites its failures log (derived; rewritten whole). */
export async function collectEnsemble(layout: EnsembleLayout, plan: PlanFile, over: CollectOverrides = {}): Promise<RunResult> {
  const failures: string[] = [];
  const reran: Array<[number, number]> = [];
  let cancelled = 0;
  const c = await collect(layout, plan.param_names, {
    points: pointBlocks(plan),
    dataset: datasetOf(plan, over),
    onRow: (row, rec) => {
      const runs = rec?.runs ?? 1;
      if (runs > 1) reran.push([row.id, runs]);
      if (rec?.status !== 'failed') return;
      failures.push(failureLine(row, rec));
      if (isCancelled(rec)) cancelled++;
    },
  });
  // the parts of an earlier live view are superseded (left alone while a live process keeps them)
  await removeLiveParts(layout);
  await writeFileAtomic(layout.failuresLog, failures.length === 0 ? '' : failures.join('\n') + '\n');
  appendJournal(layout.journal, { event: 'collected', rows: c.rows, done: c.done, failed: c.failed });
  // named once: a later collection (or restart) names a task again only when it ran once more
  const news = reran.length === 0 ? [] : unjournalledReruns(await readJournal(layout.journal), reran);
  if (news.length > 0) appendJournal(layout.journal, { event: 'reran', tasks: news });
  const counts = { total: plan.tasks, done: c.done, failed: c.failed, pending: plan.tasks - c.done - c.failed };
  return { ensembleDir: layout.root, ...counts, cancelled, ...c.files, badLines: c.badLines };
}
