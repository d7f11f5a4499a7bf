// `arrayflow retry --failed [--reason kind]`: one more attempt of failed tasks, journalled, then run.
import { didYouMean } from '../config/suggest.js';
import { UsageError } from '../errors.js';
import { appendJournal } from '../journal/journal.js';
import { readPlan } from '../plan/read.js';
import { FAILURE_KINDS, reasonKind } from '../records/owed.js';
import { readFinals } from '../records/read.js';
import { resumeEnsemble } from './resume.js';
import type { RunOptions, RunResult } from './types.js';

/**
* `arrayflow retry --failed [--reason kind]`: asks for one more attempt of every failed task (of that failure
* kind), journals the request, then runs them. Earlier attempts stay in the record files and the journal. `reason` is
* a kind (`timeout`) or a whole reason as `status --failed` shows it (`exit code 2`: its kind); one that is neither a
* known kind nor the kind of a failed task is a UsageError. `kinds` counts the failed tasks by kind, all of them.
*/
export async function retryEnsemble(
  ensembleDir: string,
  filter: { reason?: string },
  opts: RunOptions = {},
): Promise<RunResult & { retried: number; kinds: Map<string, number> }> {
  const { layout } = await readPlan(ensembleDir);
  const finals = await readFinals(layout.resultsDir);
  const failed = [...finals.values()].filter((rec) => rec.status === 'failed').map((rec) => ({ rec, kind: reasonKind(rec.reason) }));
  const kinds = new Map<string, number>();
  for (const f of failed) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  const kind = filter.reason === undefined ? undefined : reasonKind(filter.reason.trim());
  if (kind !== undefined && !FAILURE_KINDS.includes(kind) && !kinds.has(kind)) {
    const known = [...new Set([...FAILURE_KINDS, ...kinds.keys()])];
    throw new UsageError(`--reason '${filter.reason}' is not a failure kind; the kinds are ${known.join(', ')}${didYouMean(kind, known)}`);
  }
  const tasks: Array<[number, number]> = [];
  for (const f of failed) if (kind === undefined || f.kind === kind) tasks.push([f.rec.task, f.rec.attempt]);
  tasks.sort((a, b) => a[0] - b[0]);
  if (tasks.length > 0) appendJournal(layout.journal, { event: 'retry', tasks });
  return { ...(await resumeEnsemble(ensembleDir, opts)), retried: tasks.length, kinds };
}
