// `extend`: adds samples to a planned ensemble by continuing its design (same seed, later points).
import { EnsembleError } from '../errors.js';
import { appendJournal } from '../journal/journal.js';
import { readPointsFile, sampleDesign } from '../sampling/index.js';
import { writeFileAtomic } from '../util/fs.js';
import type { EnsembleLayout } from './layout.js';
import type { PlanFile } from './plan.js';
import { appendTaskTable, designTable } from './tasks.js';

/**
 * Appends `budget` tasks: points [tasks, tasks + budget) of the same design (a Sobol or random sequence
 * continues; an LHS extension is a new Latin hypercube of the extra size — see docs/sampling.md). Existing
 * task ids, rows and records are untouched. The caller holds the controller lock.
 */
export async function extendPlan(layout: EnsembleLayout, plan: PlanFile, budget: number): Promise<PlanFile> {
  if (!Number.isInteger(budget) || budget < 1) throw new EnsembleError(`extend needs a positive whole budget, got ${budget}`);
  const { parameters, sampling } = plan.design;
  const withPoints = sampling.file ? { ...sampling, points: await readPointsFile(sampling.file) } : sampling;
  const design = sampleDesign(parameters, withPoints, { start: plan.tasks, count: budget });
  if (design.count === 0) {
    throw new EnsembleError(`the ${sampling.method} design of ${layout.root} has no points beyond the ${plan.tasks} planned: nothing to extend`);
  }
  await appendTaskTable(layout, designTable(parameters, design, sampling.seed, sampling.batch ?? plan.tasks, plan.tasks));
  const next: PlanFile = { ...plan, tasks: plan.tasks + design.count };
  await writeFileAtomic(layout.planFile, JSON.stringify(next, null, 2) + '\n');
  appendJournal(layout.journal, { event: 'extended', from: plan.tasks, to: next.tasks });
  return next;
}
