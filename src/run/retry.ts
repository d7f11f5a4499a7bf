// `arrayflow retry --failed [--reason kind]`: one more attempt of failed tasks, journalled, then run.
import { appendJournal } from '../journal/journal.js';
import { readPlan } from '../plan/read.js';
import { reasonKind } from '../records/owed.js';
import { readFinals } from '../records/read.js';
import { resumeEnsemble } from './resume.js';
import type { RunOptions, RunResult } from './types.js';

/**
* `arrayflow retry --failed [--reason kind]`: asks for one more attempt of every failed task (of that failure
* kind), journals the request, then runs them. Earlier attempts stay in the record files and the journal.
*/
export async function retryEnsemble(ensembleDir: string, filter: { reason?: string }, opts: RunOptions = {}): Promise<RunResult & { retried: number }> {
  const { layout } = await readPlan(ensembleDir);
  const finals = await readFinals(layout.resultsDir);
  const tasks: Array<[number, number]> = [];
  for (const rec of finals.values()) {
    if (rec.status !== 'failed') continue;
    if (filter.reason && reasonKind(rec.reason) !== filter.reason) continue;
    tasks.push([rec.task, rec.attempt]);
  }
  tasks.sort((a, b) => a[0] - b[0]);
  if (tasks.length > 0) appendJournal(layout.journal, { event: 'retry', tasks });
  return { ...(await resumeEnsemble(ensembleDir, opts)), retried: tasks.length };
}

