// `arrayflow retry --failed [--reason kind]`: one more attempt of failed tasks, journalled, then run.
import { readFile } from 'node:fs/promises';
import { inputChecks, missingFiles } from '../config/load.js';
import { parseConfigSource } from '../config/source.js';
import { didYouMean } from '../config/suggest.js';
import { ConfigError, UsageError } from '../errors.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { appendJournal } from '../journal/journal.js';
import { readPlan } from '../plan/read.js';
import { FAILURE_KINDS, reasonKind } from '../records/owed.js';
import { readFinals } from '../records/read.js';
import { resumeEnsemble } from './resume.js';
import type { RunOptions, RunResult } from './types.js';

/**
 * The check `run` makes of its config's inputs (src/config/load.ts), made of the inputs the plan holds: a missing one
 * is a ConfigError located in the frozen config.yaml, before any retry is journalled or submitted (every task would
 * fail staging it).
 */
async function requireInputs(layout: EnsembleLayout, plan: PlanFile): Promise<void> {
  const checks = inputChecks(plan.runtime.inputs);
  if (checks.length === 0) return;
  const text = await readFile(layout.config, 'utf8').catch(() => '');
  const issues = await missingFiles(checks, parseConfigSource(text, layout.config), 'the directory of the config the ensemble was planned from');
  if (issues.length > 0) throw new ConfigError(issues);
}

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
  const { layout, plan } = await readPlan(ensembleDir);
  await requireInputs(layout, plan);
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
