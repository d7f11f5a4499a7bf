// extendPlan and appendPoints: tasks appended after the planned ones, existing rows untouched, plan.json and journal updated.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { readJournal } from '../../src/journal/journal.js';
import { appendPoints, extendPlan } from '../../src/plan/extend.js';
import { readPlan } from '../../src/plan/read.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { samplePoints, taskSeed } from '../../src/sampling/index.js';
import { drawnConfig, planIn } from '../helpers/plan.js';

t.test('extendPlan continues the design: the next points, new ids, seeds and batches; old rows as they were', async (t) => {
  const { layout, plan, config } = await planIn(t.testdir({}), drawnConfig({ n: 4 }));
  const before = await readTaskTable(layout);
  const next = await extendPlan(layout, plan, 3);
  t.match(next, { tasks: 7, array_tasks: 4, elements: plan.elements, id: plan.id, task_hash: plan.task_hash });
  t.same((await readPlan(layout.root)).plan, next, 'plan.json rewritten');
  const rows = await readTaskTable(layout);
  t.same(rows.slice(0, 4), before, 'the planned rows are untouched');
  t.same(rows.map((r) => r.params), samplePoints(config.parameters, config.sampling, { start: 0, count: 7 }), 'points 4..6 of the same sequence');
  t.same(rows.slice(4).map((r) => [r.id, r.seed, r.batch]), [4, 5, 6].map((id) => [id, taskSeed(3, id), 1]), 'batches of the planned size (4)');
  t.match((await readJournal(layout.journal)).at(-1), { event: 'extended', from: 4, to: 7 });
  const again = await extendPlan(layout, next, 1);
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
  await t.rejects(extendPlan(layout, next, 1), {
    name: 'EnsembleError',
    message: `the grid design of ${layout.root} has no points beyond the 4 planned: nothing to extend`,
  });
});

t.test('extendPlan needs a positive whole budget', async (t) => {
  const { layout, plan } = await planIn(t.testdir({}), drawnConfig({ n: 2 }));
  for (const budget of [0, -1, 1.5, Number.NaN]) {
    await t.rejects(extendPlan(layout, plan, budget), { name: 'EnsembleError', code: 'E_ENSEMBLE', message: `extend needs a positive whole budget, got ${budget}` });
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
