// extendPlan and appendPoints: tasks appended after the planned ones, existing rows untouched, plan.json and journal updated.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { readJournal } from '../../src/journal/journal.js';
import { appendPoints, extendPlan, replicatePlan } from '../../src/plan/extend.js';
import { pointBlocks } from '../../src/plan/points.js';
import { readPlan } from '../../src/plan/read.js';
import { type TaskRow, readTaskTable } from '../../src/plan/tasks.js';
import { samplePoints, taskSeed } from '../../src/sampling/index.js';
import { drawnConfig, planIn } from '../helpers/plan.js';

t.test('extendPlan continues the design to the new total: the next points, new ids, seeds and batches; old rows as they were', async (t) => {
  const { layout, plan, config } = await planIn(t.testdir({}), drawnConfig({ n: 4 }));
  const before = await readTaskTable(layout);
  const next = await extendPlan(layout, plan, 7);
  t.match(next, { tasks: 7, array_tasks: 4, elements: plan.elements, id: plan.id, task_hash: plan.task_hash });
  t.same((await readPlan(layout.root)).plan, next, 'plan.json rewritten');
  const rows = await readTaskTable(layout);
  t.same(rows.slice(0, 4), before, 'the planned rows are untouched');
  t.same(rows.map((r) => r.params), samplePoints(config.parameters, config.sampling, { start: 0, count: 7 }), 'points 4..6 of the same sequence');
  t.same(rows.slice(4).map((r) => [r.id, r.seed, r.batch]), [4, 5, 6].map((id) => [id, taskSeed(3, id), 1]), 'batches of the planned size (4)');
  t.match((await readJournal(layout.journal)).at(-1), { event: 'extended', from: 4, to: 7 });
  const again = await extendPlan(layout, next, 8);
  t.equal(again.tasks, 8, 'extends from the extended plan');
  t.same((await readTaskTable(layout)).map((r) => r.id), [0, 1, 2, 3, 4, 5, 6, 7]);
});

t.test('extendPlan of a finite design adds what is left, then refuses', async (t) => {
  const yaml = 'name: g\nensemble_dir: ens\ncommand: [echo, "{k}"]\nparameters: {k: [a, b, c, d]}\nsampling: {method: grid, samples: 2}\n';
  const { layout, plan } = await planIn(t.testdir({}), yaml);
  t.equal(plan.tasks, 2);
  const next = await extendPlan(layout, plan, 5);
  t.equal(next.tasks, 4, 'only the 2 grid points left');
  t.same((await readTaskTable(layout)).map((r) => r.params.k), ['a', 'b', 'c', 'd']);
  t.match((await readJournal(layout.journal)).at(-1), { event: 'extended', from: 2, to: 4 });
  await t.rejects(extendPlan(layout, next, 5), {
    name: 'EnsembleError',
    message: `the grid design of ${layout.root} has no points beyond the 4 planned: nothing to extend`,
  });
});

t.test('extendPlan needs a positive whole budget above the samples planned', async (t) => {
  const { layout, plan } = await planIn(t.testdir({}), drawnConfig({ n: 2 }));
  for (const budget of [0, -1, 1.5, Number.NaN]) {
    await t.rejects(extendPlan(layout, plan, budget), { name: 'EnsembleError', code: 'E_ENSEMBLE', message: `extend needs a positive whole budget, got ${budget}` });
  }
  for (const budget of [1, 2]) {
    await t.rejects(extendPlan(layout, plan, budget), {
      name: 'EnsembleError',
      message: `extend --budget ${budget} is the new total of samples, and ${layout.root} has 2 already: ask for more than 2`,
    });
  }
  t.equal((await readTaskTable(layout)).length, 2, 'nothing added');
});

t.test('extendPlan refuses a later stage, whose tasks follow from its upstream', async (t) => {
  const { layout, plan } = await planIn(t.testdir({}), drawnConfig({ n: 2 }));
  const later = { ...plan, upstream: { stage: 'coarse', dir: '../coarse', depend: 'afterany' as const } };
  await t.rejects(extendPlan(layout, later, 2), { name: 'EnsembleError', message: /is a later stage: its tasks are the rows of stage coarse/ });
  t.equal((await readTaskTable(layout)).length, 2);
});

t.test('appendPoints adds the given points as tasks, journalling the given event', async (t) => {
  const { layout, plan } = await planIn(t.testdir({}), drawnConfig({ n: 3 }));
  const next = await appendPoints(layout, plan, [{ x: 0.25, k: 'b' }, { x: 0.75, k: 'a' }], { event: 'adaptive', round: 1, from: 3, to: 5 });
  t.equal(next.tasks, 5);
  const rows = await readTaskTable(layout);
  t.same(rows.slice(3).map((r) => [r.id, r.params, r.seed]), [
    [3, { x: 0.25, k: 'b' }, taskSeed(3, 3)],
    [4, { x: 0.75, k: 'a' }, taskSeed(3, 4)],
  ]);
  t.match((await readJournal(layout.journal)).at(-1), { event: 'adaptive', round: 1, from: 3, to: 5 });
  t.same(next.point_blocks?.at(-1), { first: 3, points: [3, 5], replicates: [0, 1] }, 'new points, one replicate each');
});

t.test('appendPoints checks the points against the domains and then changes nothing', async (t) => {
  const { layout, plan } = await planIn(t.testdir({}), drawnConfig({ n: 3 }));
  const tasks = readFileSync(layout.tasks);
  const planText = readFileSync(layout.planFile, 'utf8');
  await t.rejects(appendPoints(layout, plan, [{ x: 0.5, k: 'b' }, { x: 0.5, k: 'zzz' }], { event: 'adaptive', round: 1, from: 3, to: 5 }), {
    name: 'DataError',
    message: /sampling\.points\[1\]: parameter "k"/,
  });
  await t.rejects(appendPoints(layout, plan, [{ x: 0.5 }], { event: 'adaptive', round: 1, from: 3, to: 4 }), { name: 'DataError', message: /missing parameter "k"/ });
  t.ok(readFileSync(layout.tasks).equals(tasks));
  t.equal(readFileSync(layout.planFile, 'utf8'), planText);
  t.equal((await readJournal(layout.journal)).length, 1, 'only the planned event');
});

/** [point, replicate, params] of tasks, placed by the plan's blocks. */
const places = (rows: TaskRow[], plan: Parameters<typeof pointBlocks>[0]) => {
  const blocks = pointBlocks(plan);
  return rows.map((r) => {
    const b = blocks.find((x) => r.id >= x.first && r.id < x.first + (x.points[1] - x.points[0]) * (x.replicates[1] - x.replicates[0]))!;
    const n = b.replicates[1] - b.replicates[0];
    return [b.points[0] + Math.floor((r.id - b.first) / n), b.replicates[0] + ((r.id - b.first) % n)];
  });
};

t.test('replicatePlan raises every point to R replicates: new tasks with their point\'s values and new seeds; old bytes untouched', async (t) => {
  const { layout, plan } = await planIn(t.testdir({}), drawnConfig({ n: 3, method: 'random' }).replace('seed: 3 }', 'seed: 3, replicates: 2 }'));
  t.equal(plan.tasks, 6);
  const bytes = readFileSync(layout.tasks);
  const before = await readTaskTable(layout);
  const next = await replicatePlan(layout, plan, 5);
  t.equal(next.tasks, 15, '3 more replicates of 3 points');
  const after = readFileSync(layout.tasks);
  // the header's row count changes (bytes 8..16); every other byte of the planned table stays
  t.ok(after.subarray(16, bytes.length).equals(bytes.subarray(16)), 'the planned rows are byte-identical');
  const rows = await readTaskTable(layout);
  t.same(rows.slice(0, 6), before);
  t.same(places(rows, next), [
    [0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1],
    [0, 2], [0, 3], [0, 4], [1, 2], [1, 3], [1, 4], [2, 2], [2, 3], [2, 4],
  ]);
  for (const r of rows.slice(6)) t.same(r.params, before[2 * places([r], next)[0][0]].params, `task ${r.id}: its point's values`);
  t.same(rows.slice(6).map((r) => r.seed), rows.slice(6).map((r) => taskSeed(3, r.id)), 'task seeds from the new ids');
  t.equal(new Set(rows.map((r) => r.seed)).size, 15, 'no two tasks share a seed');
  t.match((await readJournal(layout.journal)).at(-1), { event: 'replicated', replicates: 5, from: 6, to: 15 });
  await t.rejects(replicatePlan(layout, next, 5), { name: 'EnsembleError', message: `every point of ${layout.root} has 5 replicates or more already (5): ask for more` });
  await t.rejects(replicatePlan(layout, next, 0), { message: 'extend needs a positive whole number of replicates, got 0' });

  // more samples now come with all 5 replicates: no point is split
  const grown = await extendPlan(layout, next, 5);
  t.equal(grown.tasks, 25);
  const all = await readTaskTable(layout);
  t.same(places(all.slice(15), grown), [3, 4].flatMap((p) => [0, 1, 2, 3, 4].map((r) => [p, r])));
  const design = samplePoints(plan.design.parameters, { ...plan.design.sampling, replicates: 1 }, { start: 0, count: 5 });
  t.same(all.slice(15).map((r) => r.params), [3, 3, 3, 3, 3, 4, 4, 4, 4, 4].map((p) => design[p]), 'points 3 and 4 of the same random sequence');
});

t.test('replicatePlan tops up points with fewer replicates (adaptive rounds add one each)', async (t) => {
  const { layout, plan } = await planIn(t.testdir({}), drawnConfig({ n: 2 }));
  const adapted = await appendPoints(layout, plan, [{ x: 0.5, k: 'b' }], { event: 'adaptive', round: 1, from: 2, to: 3 });
  const next = await replicatePlan(layout, adapted, 3);
  t.same(next.point_blocks?.slice(-1), [{ first: 3, points: [0, 3], replicates: [1, 3] }]);
  const rows = await readTaskTable(layout);
  t.same(rows.slice(3).map((r) => r.params), [0, 0, 1, 1, 2, 2].map((p) => rows[p].params));
});
