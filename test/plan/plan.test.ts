// The pure planning functions: element tasks, job names, chunking under the cluster's limits, upstream crossing, the timeout of an attempt.
import t from 'tap';
import { attemptTimeout, chunkLabel, chunkSize, crossUpstream, elementTasks, jobName, paramNames, planChunks, planRuntime, upstreamTaskParam } from '../../src/plan/plan.js';
import { rowsTable } from '../../src/plan/tasks.js';
import { taskSeed } from '../../src/sampling/index.js';
import { configIn } from '../helpers/plan.js';
import { slurmPlan } from '../helpers/plans.js';

t.test('elementTasks: element e runs the bundle [e*bundle, (e+1)*bundle), cut at array_tasks', async (t) => {
  const plan = { bundle: 3, array_tasks: 8 };
  t.same(elementTasks(plan, 0), [0, 1, 2]);
  t.same(elementTasks(plan, 1), [3, 4, 5]);
  t.same(elementTasks(plan, 2), [6, 7], 'the last element is short');
  t.same(elementTasks(plan, 3), [], 'past the last element');
  t.same(elementTasks({ bundle: 1, array_tasks: 5 }, 4), [4]);
  const all = [0, 1, 2].flatMap((e) => elementTasks(plan, e));
  t.same(all, [0, 1, 2, 3, 4, 5, 6, 7], 'the elements cover every task once, in order');
});

t.test('jobName carries the ensemble name and id, and the chunk label', async (t) => {
  t.equal(jobName({ name: 'sweep', id: 'ab12cd34' }, chunkLabel(3)), 'af-sweep-ab12cd34-0003');
  t.equal(jobName({ name: 'sweep', id: 'ab12cd34' }, 'r1'), 'af-sweep-ab12cd34-r1');
  t.not(jobName({ name: 'sweep', id: 'ab12cd34' }, '0000'), jobName({ name: 'sweep', id: 'ffffffff' }, '0000'), 'a re-created ensemble has other job names');
});

t.test('chunkLabel pads to four digits and never cuts', async (t) => {
  t.equal(chunkLabel(0), '0000');
  t.equal(chunkLabel(42), '0042');
  t.equal(chunkLabel(12345), '12345');
});

t.test('chunkSize: the smallest limit, overrides before what the cluster reports, 1e6 at most', async (t) => {
  t.equal(chunkSize({}, {}), 1_000_000, 'no limits known');
  t.equal(chunkSize({ maxArraySize: 1001 }, {}), 1001);
  t.equal(chunkSize({ maxArraySize: 1001, maxSubmitJobs: 300, maxJobCount: 10000 }, {}), 300);
  t.equal(chunkSize({ maxArraySize: 1001, maxJobCount: 500 }, {}), 500, 'MaxJobCount counts too');
  t.equal(chunkSize({ maxArraySize: 1001 }, { max_array_size: 50 }), 50, 'the config override wins');
  t.equal(chunkSize({ maxArraySize: 40 }, { max_array_size: 50 }), 50, 'even when larger than reported');
  t.equal(chunkSize({ maxArraySize: 1001, maxSubmitJobs: 300 }, { max_submit: 5000 }), 1001);
  t.equal(chunkSize({ maxArraySize: 0, maxSubmitJobs: -1 }, {}), 1_000_000, 'zero or negative means no limit');
  t.equal(chunkSize({ maxArraySize: 5_000_000 }, {}), 1_000_000);
});

t.test('planChunks: ceil(elements / size) chunks covering every element once', async (t) => {
  t.same(planChunks(10, 4), [
    { chunk: 0, offset: 0, count: 4 },
    { chunk: 1, offset: 4, count: 4 },
    { chunk: 2, offset: 8, count: 2 },
  ]);
  t.same(planChunks(8, 4).map((c) => c.count), [4, 4], 'an exact multiple has no empty chunk');
  t.same(planChunks(3, 1_000_000), [{ chunk: 0, offset: 0, count: 3 }]);
  t.same(planChunks(0, 4), []);
  for (const [elements, size] of [[1, 1], [7, 1], [1001, 1000], [99_999, 1001]]) {
    const chunks = planChunks(elements, size);
    t.equal(chunks.length, Math.ceil(elements / size), `${elements} / ${size}: count`);
    let next = 0;
    for (const c of chunks) {
      if (c.offset !== next || c.count < 1 || c.count > size) t.fail(`${elements} / ${size}: chunk ${c.chunk} is ${JSON.stringify(c)}`);
      next += c.count;
    }
    t.equal(next, elements, `${elements} / ${size}: contiguous, every element once`);
  }
});

t.test('planRuntime and paramNames: what the node needs, taken from the config', async (t) => {
  const config = configIn(
    '/x',
    'name: r\ncommand: [sim, "{b}"]\nenv: {T: "{a}"}\ntimeout: 2m\nkeep: all\nparameters: {b: 1, a: [1, 2]}\nsampling: {method: grid}\nexecutor: {scratch: /fast, array: {bundle: 4, parallel: 2}}\n',
  );
  t.same(paramNames(config), ['b', 'a'], 'config order, not sorted');
  t.same(planRuntime(config), {
    command: ['sim', '{b}'],
    env: { T: '{a}' },
    inputs: { copy: [], link: [] },
    result: { file: 'result.json', format: 'json', max_size: 1024 * 1024 },
    keep: 'all',
    logs: 'failed',
    timeout: 120,
    scratch: '/fast',
    parallel: 2,
  });
});

t.test('crossUpstream: every upstream task crossed with the own points, the <stage>.task column first', async (t) => {
  const own = rowsTable([
    { id: 0, batch: 0, seed: 1, params: { h: 10, tag: 'lo' } },
    { id: 1, batch: 0, seed: 2, params: { h: 20, tag: 'hi' } },
  ]);
  const x = crossUpstream('A', 3, own, 9, undefined);
  t.equal(upstreamTaskParam('A'), 'A.task');
  t.same(x.columns, [{ name: 'A.task', type: 'number' }, { name: 'h', type: 'number' }, { name: 'tag', type: 'dict', values: ['lo', 'hi'] }]);
  t.equal(x.first, 0);
  t.same([...x.data[0]], [0, 0, 1, 1, 2, 2], 'upstream task ids, each repeated per own point');
  t.same([...x.data[1]], [10, 20, 10, 20, 10, 20]);
  t.same([...x.data[2]], [0, 1, 0, 1, 0, 1], 'dict indexes carried over');
  t.same([...x.seeds], [0, 1, 2, 3, 4, 5].map((i) => taskSeed(9, i)), 'task seeds of this stage, not the own rows');
  t.same([...x.batches], [0, 0, 0, 0, 0, 0], 'one batch without a batch size');
  t.same([...crossUpstream('A', 3, own, 9, 4).batches], [0, 0, 0, 0, 1, 1]);
});

t.test('crossUpstream: a runner (one empty point) has one task per upstream task', async (t) => {
  const x = crossUpstream('coarse', 4, rowsTable([{ id: 0, batch: 0, seed: 0, params: {} }]), 0, undefined);
  t.same(x.columns, [{ name: 'coarse.task', type: 'number' }]);
  t.same([...x.data[0]], [0, 1, 2, 3]);
  t.equal(x.seeds.length, 4);
  t.equal(crossUpstream('coarse', 0, rowsTable([{ id: 0, batch: 0, seed: 0, params: {} }]), 0, undefined).seeds.length, 0, 'no upstream tasks, no tasks');
});

t.test('attemptTimeout: the timeout grows by retry_scale.time per extra attempt; none stays none', async (t) => {
  const plan = slurmPlan({ retry_scale: { time: 2 } });
  const at = (timeout: number, attempt: number, scale = plan.executor) => attemptTimeout({ runtime: { ...plan.runtime, timeout }, executor: scale }, attempt);
  t.equal(at(10, 1), 10);
  t.equal(at(10, 2), 20);
  t.equal(at(10, 3), 40);
  t.equal(at(0, 3), 0, 'no limit');
  t.equal(at(10, 3, { ...plan.executor, retry_scale: { mem: 2 } }), 10, 'only memory scaled');
  t.equal(at(0.3, 2, { ...plan.executor, retry_scale: { time: 1.5 } }), 0.45);
});
