// Which design point and which of its replicates each task is: the plan's point blocks, and the blocks `extend` appends.
import type { TaskRow } from './tasks.js';

/**
 * Tasks `first`, `first + 1`, … run points [points[0], points[1]) × replicates [replicates[0], replicates[1]),
 * each point's replicates in a row: task `first + k` is replicate `replicates[0] + k mod n` of point
 * `points[0] + floor(k / n)`, n = replicates[1] - replicates[0].
 */
export interface PointBlock {
  first: number;
  points: [number, number];
  replicates: [number, number];
}

/** What the point blocks of a plan are read from (src/plan/plan.ts PlanFile). */
export interface PointedPlan {
  tasks: number;
  design: { sampling: { replicates?: number } };
  point_blocks?: PointBlock[];
}

const width = (b: PointBlock): number => b.replicates[1] - b.replicates[0];
const size = (b: PointBlock): number => (b.points[1] - b.points[0]) * width(b);

/**
 * The blocks of `plan`. A plan that was never extended by point has none written: task t is replicate t mod r of point
 * floor(t / r), r = sampling.replicates, which is how planning lays out a replicated design (and how `extend --budget`
 * continued it before blocks existed; a later stage crosses whole replicated designs, so it holds there too).
 */
export function pointBlocks(plan: PointedPlan): PointBlock[] {
  if (plan.point_blocks) return plan.point_blocks;
  const r = plan.design.sampling.replicates ?? 1;
  const whole = Math.floor(plan.tasks / r);
  const blocks: PointBlock[] = whole > 0 ? [{ first: 0, points: [0, whole], replicates: [0, r] }] : [];
  const rest = plan.tasks - whole * r;
  if (rest > 0) blocks.push({ first: whole * r, points: [whole, whole + 1], replicates: [0, rest] });
  return blocks;
}

/** The number of points (the highest point + 1). */
export function pointCount(blocks: readonly PointBlock[]): number {
  return blocks.reduce((n, b) => Math.max(n, b.points[1]), 0);
}

/** How many replicates each point has, by point. */
export function replicateCounts(blocks: readonly PointBlock[]): Int32Array {
  const counts = new Int32Array(pointCount(blocks));
  for (const b of blocks) for (let p = b.points[0]; p < b.points[1]; p++) counts[p] += width(b);
  return counts;
}

/** [point, replicate] of task `id` (null when no block holds it). Blocks are in task order, so a binary search finds it. */
export function placeOf(blocks: readonly PointBlock[], id: number): [number, number] | null {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (blocks[mid].first <= id) lo = mid;
    else hi = mid - 1;
  }
  const b = blocks[lo];
  if (b === undefined || id < b.first || id >= b.first + size(b)) return null;
  const k = id - b.first;
  return [b.points[0] + Math.floor(k / width(b)), b.replicates[0] + (k % width(b))];
}

/** Sets `point` and `replicate` of each row from its task id. */
export function placeRows(rows: TaskRow[], blocks: readonly PointBlock[]): void {
  for (const row of rows) {
    const at = placeOf(blocks, row.id);
    if (at) [row.point, row.replicate] = at;
  }
}

/** A task of each point, by point: the first task of the first block that holds it. */
export function pointTasks(blocks: readonly PointBlock[]): Float64Array {
  const tasks = new Float64Array(pointCount(blocks)).fill(-1);
  for (const b of blocks) {
    for (let p = b.points[0]; p < b.points[1]; p++) if (tasks[p] < 0) tasks[p] = b.first + (p - b.points[0]) * width(b);
  }
  return tasks;
}

/**
 * The blocks that raise every point to `replicates` replicates, tasks from `first` on: a run of consecutive points
 * with the same count makes one block (one block in all when every point had the same count).
 */
export function replicateBlocks(blocks: readonly PointBlock[], replicates: number, first: number): PointBlock[] {
  const counts = replicateCounts(blocks);
  const out: PointBlock[] = [];
  let next = first;
  for (let p = 0; p < counts.length; ) {
    const c = counts[p];
    let q = p + 1;
    while (q < counts.length && counts[q] === c) q++;
    if (c < replicates) {
      const b: PointBlock = { first: next, points: [p, q], replicates: [c, replicates] };
      out.push(b);
      next += size(b);
    }
    p = q;
  }
  return out;
}

/** The tasks of `blocks` in order, each as the task of its point in `byPoint` (see {@link pointTasks}). */
export function sourceTasks(blocks: readonly PointBlock[], byPoint: Float64Array): number[] {
  const ids: number[] = [];
  for (const b of blocks) for (let p = b.points[0]; p < b.points[1]; p++) for (let r = b.replicates[0]; r < b.replicates[1]; r++) ids.push(byPoint[p]);
  return ids;
}
