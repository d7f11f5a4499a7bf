// `extend`: adds points to a planned ensemble by continuing its design (same seed, later points), or replicates to its points.
import { EnsembleError } from '../errors.js';
import { type JournalEvent, appendJournal } from '../journal/journal.js';
import type { Point } from '../config/types.js';
import { readPointsFile, sampleDesign } from '../sampling/index.js';
import { writeFileAtomic } from '../util/fs.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from './plan.js';
import { type PointBlock, pointBlocks, pointCount, pointTasks, replicateBlocks, replicateCounts, sourceTasks } from './points.js';
import { type TaskTable, appendTaskTable, designTable, readTaskValues } from './tasks.js';

function checkExtensible(layout: EnsembleLayout, plan: PlanFile, what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new EnsembleError(`extend needs a positive whole ${what}, got ${n}`);
  if (plan.upstream) {
    throw new EnsembleError(`${layout.root} is a later stage: its tasks are the rows of stage ${plan.upstream.stage} (times its own points) and cannot be extended`);
  }
}

/** The replicates of the ensemble's points: the most any point has (adaptive rounds add points with one). */
function replicatesOf(plan: PlanFile, blocks: readonly PointBlock[]): number {
  return Math.max(plan.design.sampling.replicates ?? 1, ...replicateCounts(blocks));
}

/**
 * Grows the design to `budget` points in all (the new total, as `sampling.samples` counts them): points [P, budget) of
 * the same design, each with all the replicates the ensemble's points have (a Sobol or random sequence continues; an
 * LHS extension is a new Latin hypercube of the extra size — see docs/sampling.md). Existing task ids, rows and records
 * are untouched. The caller holds the controller lock.
 */
export async function extendPlan(layout: EnsembleLayout, plan: PlanFile, budget: number): Promise<PlanFile> {
  checkExtensible(layout, plan, 'budget', budget);
  const { parameters, sampling } = plan.design;
  const blocks = pointBlocks(plan);
  const points = pointCount(blocks);
  if (budget <= points) {
    throw new EnsembleError(`extend --budget ${budget} is the new total of samples, and ${layout.root} has ${points} already: ask for more than ${points}`);
  }
  const r = replicatesOf(plan, blocks);
  const withPoints = sampling.file ? { ...sampling, points: await readPointsFile(sampling.file, parameters) } : sampling;
  const design = sampleDesign(parameters, { ...withPoints, replicates: r }, { start: points * r, count: (budget - points) * r });
  if (design.count === 0) {
    throw new EnsembleError(`the ${sampling.method} design of ${layout.root} has no points beyond the ${points} planned: nothing to extend`);
  }
  const block: PointBlock = { first: plan.tasks, points: [points, points + design.count / r], replicates: [0, r] };
  const table = designTable(parameters, design, sampling.seed, sampling.batch ?? plan.array_tasks, plan.tasks);
  return appendTable(layout, plan, table, [...blocks, block], { event: 'extended', from: plan.tasks, to: plan.tasks + design.count });
}

/**
 * Raises every point to `replicates` replicates: new tasks (ids from plan.tasks on, so new task seeds) with the
 * parameters of their point, copied from the task table rather than sampled again (an adaptive point or an LHS
 * extension's point exists only there). Existing task ids, rows and records are untouched. The caller holds the lock.
 */
export async function replicatePlan(layout: EnsembleLayout, plan: PlanFile, replicates: number): Promise<PlanFile> {
  checkExtensible(layout, plan, 'number of replicates', replicates);
  const blocks = pointBlocks(plan);
  const added = replicateBlocks(blocks, replicates, plan.tasks);
  if (added.length === 0) {
    throw new EnsembleError(`every point of ${layout.root} has ${replicates} replicates or more already (${replicatesOf(plan, blocks)}): ask for more`);
  }
  const { parameters, sampling } = plan.design;
  const sources = sourceTasks(added, pointTasks(blocks));
  const design = { count: sources.length, columns: await readTaskValues(layout, sources) };
  const table = designTable(parameters, design, sampling.seed, sampling.batch ?? plan.array_tasks, plan.tasks);
  return appendTable(layout, plan, table, [...blocks, ...added], { event: 'replicated', replicates, from: plan.tasks, to: plan.tasks + sources.length });
}

/**
 * Appends tasks for `points` given by the adaptive proposer (checked against the domains): ids from plan.tasks
 * on, batch and seed as for planned tasks, one replicate each. The caller holds the controller lock.
 */
export async function appendPoints(layout: EnsembleLayout, plan: PlanFile, points: Point[], event: JournalEvent): Promise<PlanFile> {
  const { parameters, sampling } = plan.design;
  const design = sampleDesign(parameters, { method: 'list', points, seed: sampling.seed });
  const blocks = pointBlocks(plan);
  const first = pointCount(blocks);
  const block: PointBlock = { first: plan.tasks, points: [first, first + design.count], replicates: [0, 1] };
  const table = designTable(parameters, design, sampling.seed, sampling.batch ?? plan.array_tasks, plan.tasks);
  return appendTable(layout, plan, table, [...blocks, block], event);
}

/** Appends `table` (ids from plan.tasks on), rewrites plan.json with `blocks` and journals `event`; existing rows stay as they are. */
async function appendTable(layout: EnsembleLayout, plan: PlanFile, table: TaskTable, blocks: PointBlock[], event: JournalEvent): Promise<PlanFile> {
  await appendTaskTable(layout, table);
  const next: PlanFile = { ...plan, tasks: plan.tasks + table.seeds.length, point_blocks: blocks };
  await writeFileAtomic(layout.planFile, JSON.stringify(next, null, 2) + '\n');
  appendJournal(layout.journal, event);
  return next;
}
