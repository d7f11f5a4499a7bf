// Which tasks without a row are in array jobs already submitted (the journal's `submitted` events): queued or running, not "to run".
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { journalSubmissions } from '../journal/submissions.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { type PlanFile, elementTasks } from '../plan/plan.js';
import { readPlan } from '../plan/read.js';
import { readFinals } from '../records/read.js';
import type { TaskRecord } from '../records/record.js';

/**
 * How many tasks a journalled submission covers that have no record of that submission's attempt yet: they are queued
 * or running (or ended without a record the scheduler has not told of yet), and a controller follows them rather than
 * submitting them again. Read from the journal and the records only: no scheduler query.
 */
export async function countSubmitted(layout: EnsembleLayout, plan: PlanFile, finals: ReadonlyMap<number, Pick<TaskRecord, 'attempt'>>): Promise<number> {
  const tasks = new Set<number>();
  for (const s of await journalSubmissions(layout)) {
    // a listed resubmission runs the tasks of its file; a chunk the plan's elements
    const ids = s.tasksFile
      ? (JSON.parse(await readFile(join(layout.root, s.tasksFile), 'utf8')) as number[])
      : Array.from({ length: s.count }, (_, i) => elementTasks(plan, s.offset + i)).flat();
    for (const id of ids) if ((finals.get(id)?.attempt ?? 0) < s.attempt) tasks.add(id);
  }
  return tasks.size;
}

/** {@link countSubmitted} of an ensemble directory, from its records as they are now. */
export async function readSubmitted(ensembleDir: string): Promise<number> {
  const { layout, plan } = await readPlan(ensembleDir);
  return countSubmitted(layout, plan, await readFinals(layout.resultsDir));
}
