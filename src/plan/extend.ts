// `extend`: adds samples to a planned ensemble by continuing its design (same seed, later points).
import { EnsembleError } from '../errors.js';
import { type JournalEvent, appendJournal } from '../journal/journal.js';
import type { Point } from '../config/types.js';
import { readPointsFile, sampleDesign } from '../sampling/index.js';
import { writeFileAtomic } from '../util/fs.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from './plan.js';
import { type TaskTable, appendTaskTable, designTable } from './tasks.js';

/**
 * Appends `budget` tasks: points [tasks, tasks + budget) of the same design (a Sobol or random sequence
 * continues; an LHS extension is a new Latin hypercube of the extra size — see docs/sampling.md). Existing
 * task ids, rows and records are untouched. The caller holds the controller lock.
 */
export async function extendPlan(layout: EnsembleLayout, plan: PlanFile, budget: number): Promise<PlanFile> {
  if (!Number.isInteger(budget) || budget < 1) throw new EnsembleError(`extend needs a positive whole budget, got ${budget}`);
  if (plan.upstream) {
    throw new EnsembleError(`${layout.root} is a later stage: its tasks are the rows of stage ${plan.upstream.stage} (times its own points) and cannot be extended`);
  }
  const { parameters, sampling } = plan.design;
  const withPoints = sampling.file ? { ...sampling, points: await readPointsFile(sampling.file, parameters) } : sampling;
  const design = sampleDesign(parameters, withPoints, { start: plan.tasks, count: budget });
  if (design.count === 0) {
    throw new EnsembleError(`the ${sampling.method} design of ${layout.root} has no points beyond the ${plan.tasks} planned: nothing to extend`);
  }
  const table = designTable(parameters, design, sampling.seed, sampling.batch ?? plan.array_tasks, plan.tasks);
  return appendTable(layout, plan, table, { event: 'extended', from: plan.tasks, to: plan.tasks + design.count });
}

/**
 * Appends tasks for `points` given by the adaptive proposer (checked against the domains): ids from plan.tasks
 * on, batch and seed as for planned tasks. The caller holds the controller lock.
 */
export async function appendPoints(layout: EnsembleLayout, plan: PlanFile, points: Point[], event: JournalEvent): Promise<PlanFile> {
  const { parameters, sampling } = plan.design;
  const design = sampleDesign(parameters, { method: 'list', points, seed: sampling.seed });
  return appendTable(layout, plan, designTable(parameters, design, sampling.seed, sampling.batch ?? plan.array_tasks, plan.tasks), event);
}

/** Appends `table` (ids from plan.tasks on), rewrites plan.json and journals `event`; existing rows stay as they are. */
async function appendTable(layout: EnsembleLayout, plan: PlanFile, table: TaskTable, event: JournalEvent): Promise<PlanFile> {
  await appendTaskTable(layout, table);
  const next: PlanFile = { ...plan, tasks: plan.tasks + table.seeds.length };
  await writeFileAtomic(layout.planFile, JSON.stringify(next, null, 2) + '\n');
  appendJournal(layout.journal, event);
  return next;
}
