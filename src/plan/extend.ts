// `extend`: adds samples to a planned ensemble by continuing its design (same seed, later points).
import { EnsembleError } from '../errors.js';
import { type JournalEvent, appendJournal } from '../journal/journal.js';
import type { Point } from '../config/types.js';
import { readPointsFile, samplePoints } from '../sampling/index.js';
import { taskSeed } from '../sampling/hash.js';
import type { TaskRow } from '../records.js';
import { writeFileAtomic } from '../util/fs.js';
import type { EnsembleLayout } from './layout.js';
import type { PlanFile } from './plan.js';
import { readTaskTable, writeTaskTable } from './tasks.js';

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
  const withPoints = sampling.file ? { ...sampling, points: await readPointsFile(sampling.file) } : sampling;
  const points = samplePoints(parameters, withPoints, { start: plan.tasks, count: budget });
  if (points.length === 0) {
    throw new EnsembleError(`the ${sampling.method} design of ${layout.root} has no points beyond the ${plan.tasks} planned: nothing to extend`);
  }
  return appendPoints(layout, plan, points, { event: 'extended', from: plan.tasks, to: plan.tasks + points.length });
}

/**
 * Appends tasks for `points` (ids from plan.tasks on, batch and seed as for planned tasks), rewrites plan.json
 * and journals `event`. Existing task ids, rows and records are untouched. The caller holds the controller lock.
 */
export async function appendPoints(layout: EnsembleLayout, plan: PlanFile, points: Point[], event: JournalEvent): Promise<PlanFile> {
  const { sampling } = plan.design;
  const size = sampling.batch ?? plan.array_tasks;
  const rows = await readTaskTable(layout);
  const added: TaskRow[] = points.map((params, i) => {
    const id = plan.tasks + i;
    return { id, batch: Math.floor(id / size), seed: taskSeed(sampling.seed, id), params };
  });
  await writeTaskTable(layout, [...rows, ...added]);
  const next: PlanFile = { ...plan, tasks: plan.tasks + added.length };
  await writeFileAtomic(layout.planFile, JSON.stringify(next, null, 2) + '\n');
  appendJournal(layout.journal, event);
  return next;
}
