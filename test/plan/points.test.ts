// Point blocks: task ids -> (point, replicate), the layout of plans without blocks, and the blocks that add replicates.
import t from 'tap';
import { type PointBlock, placeOf, placeRows, pointBlocks, pointCount, pointTasks, replicateBlocks, replicateCounts, sourceTasks } from '../../src/plan/points.js';
import type { TaskRow } from '../../src/plan/tasks.js';

const plan = (tasks: number, replicates?: number, point_blocks?: PointBlock[]) => ({ tasks, design: { sampling: replicates === undefined ? {} : { replicates } }, point_blocks });

t.test('a plan without blocks: task t is replicate t mod r of point t div r, a cut-short last point included', async (t) => {
  t.same(pointBlocks(plan(6, 3)), [{ first: 0, points: [0, 2], replicates: [0, 3] }]);
  t.same(pointBlocks(plan(4)), [{ first: 0, points: [0, 4], replicates: [0, 1] }], 'replicates default to 1');
  // an ensemble extended by tasks before blocks existed could end in the middle of a point's replicates
  const cut = pointBlocks(plan(7, 3));
  t.same(cut, [
    { first: 0, points: [0, 2], replicates: [0, 3] },
    { first: 6, points: [2, 3], replicates: [0, 1] },
  ]);
  t.same([...Array(8).keys()].map((id) => placeOf(cut, id)), [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2], [2, 0], null]);
  t.same(pointBlocks(plan(0, 2)), []);
  const written = [{ first: 0, points: [0, 1], replicates: [0, 1] }] as PointBlock[];
  t.equal(pointBlocks(plan(1, 5, written)), written, 'written blocks win');
});

t.test('placeOf and placeRows across blocks; counts, a task per point', async (t) => {
  const blocks: PointBlock[] = [
    { first: 0, points: [0, 3], replicates: [0, 2] },
    { first: 6, points: [3, 5], replicates: [0, 1] },
    { first: 8, points: [0, 3], replicates: [2, 4] },
  ];
  const ids = [0, 1, 5, 6, 7, 8, 9, 10, 13, 14];
  t.same(ids.map((id) => placeOf(blocks, id)), [[0, 0], [0, 1], [2, 1], [3, 0], [4, 0], [0, 2], [0, 3], [1, 2], [2, 3], null]);
  const rows: TaskRow[] = [{ id: 9, batch: 0, seed: 1, params: {} }, { id: 99, batch: 0, seed: 2, params: {} }];
  placeRows(rows, blocks);
  t.same(rows.map((r) => [r.point, r.replicate]), [[0, 3], [undefined, undefined]], 'a task no block holds stays unplaced');
  t.equal(pointCount(blocks), 5);
  t.same([...replicateCounts(blocks)], [4, 4, 4, 1, 1]);
  t.same([...pointTasks(blocks)], [0, 2, 4, 6, 7]);
});

t.test('replicateBlocks: a block per run of points with the same count, ids from `first` on', async (t) => {
  const blocks: PointBlock[] = [
    { first: 0, points: [0, 3], replicates: [0, 2] },
    { first: 6, points: [3, 5], replicates: [0, 1] },
    { first: 8, points: [5, 6], replicates: [0, 2] },
  ];
  const added = replicateBlocks(blocks, 3, 10);
  t.same(added, [
    { first: 10, points: [0, 3], replicates: [2, 3] },
    { first: 13, points: [3, 5], replicates: [1, 3] },
    { first: 17, points: [5, 6], replicates: [2, 3] },
  ]);
  t.same([...replicateCounts([...blocks, ...added])], [3, 3, 3, 3, 3, 3], 'every point has 3 now');
  t.same(sourceTasks(added, pointTasks(blocks)), [0, 2, 4, 6, 6, 7, 7, 8], "each new task copies a task of its point");
  t.same(replicateBlocks(blocks, 2, 10), [{ first: 10, points: [3, 5], replicates: [1, 2] }], 'only the points below 2');
  t.same(replicateBlocks(blocks, 1, 10), [], 'nothing below 1');
});
