import t, { type Test } from 'tap';
import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import type { ParamSpec } from '../../src/config/types.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { appendTaskTable, designTable, encodeTaskTable, readTaskRange, readTaskTable, rowsTable, writeTaskTable } from '../../src/plan/tasks.js';
import type { TaskRow } from '../../src/plan/tasks.js';
import { sampleDesign, samplePoints, taskSeed } from '../../src/sampling/index.js';

function tableDir(t: Test): EnsembleLayout {
  return new EnsembleLayout(t.testdir({ plan: {} }));
}

// every kind of parameter value the table must give back exactly
const ROWS: TaskRow[] = [
  { id: 0, batch: 0, seed: 708472059, params: { x: -0, n: 3, s: 'plain', q: 'quote " and \\ and \n', u: 'ünïcødé ✓ 𝄞', b: true, m: 1, k: 'same' } },
  { id: 1, batch: 0, seed: 0, params: { x: 1e-300, n: -7, s: '', q: "'single'", u: '日本語', b: false, m: 'one', k: 'same' } },
  { id: 2, batch: 1, seed: 2147483647, params: { x: Number.MAX_VALUE, n: 2 ** 53 - 1, s: 'plain', q: '{"json":1}', u: '\u0000', b: true, m: true, k: 'same' } },
  { id: 3, batch: 1, seed: 5, params: { x: 0.1 + 0.2, n: 0, s: 'last', q: '', u: 'e\u0301', b: false, m: false, k: 'same' } },
];

t.test('rows round-trip exactly: numbers (-0 too), ints, strings with quotes and unicode, booleans, mixed columns', async (t) => {
  const layout = tableDir(t);
  await writeTaskTable(layout, rowsTable(ROWS));
  const back = await readTaskTable(layout);
  t.same(back, ROWS);
  t.ok(Object.is(back[0].params.x, -0), '-0 stays -0');
  t.same(Object.keys(back[0].params), Object.keys(ROWS[0].params), 'parameter order');
  t.same(back.map((r) => [r.id, r.batch, r.seed]), ROWS.map((r) => [r.id, r.batch, r.seed]));
  t.same(rowsTable(ROWS).columns.map((c) => c.type), ['number', 'number', 'dict', 'dict', 'dict', 'dict', 'dict', 'dict']);
  t.ok(encodeTaskTable(rowsTable(ROWS)).equals(readFileSync(layout.tasks)), 'the same rows give the same bytes');
});

t.test('readTaskRange reads exactly the rows asked for, at both ends', async (t) => {
  const layout = tableDir(t);
  await writeTaskTable(layout, rowsTable(ROWS));
  t.same(await readTaskRange(layout, 0, 1), ROWS.slice(0, 1));
  t.same(await readTaskRange(layout, 3, 4), ROWS.slice(3));
  t.same(await readTaskRange(layout, 1, 3), ROWS.slice(1, 3));
  t.same(await readTaskRange(layout, 0, 4), ROWS);
  t.same(await readTaskRange(layout, 2, 2), [], 'an empty range reads nothing');
  await t.rejects(readTaskRange(layout, 3, 5), { name: 'EnsembleError', message: /holds tasks 0\.\.3, not 3\.\.4/ });
});

const PARAMS: Record<string, ParamSpec> = {
  a: { kind: 'uniform', low: -1, high: 1 },
  k: { kind: 'const', value: 'fixed "k"' },
  n: { kind: 'int', low: 1, high: 9 },
  c: { kind: 'values', values: ['red', 'grün', true, 2] },
  l: { kind: 'loguniform', low: 1e-3, high: 10 },
};

t.test('a planned design: the rows are its points, task seeds and batches; extend appends', async (t) => {
  const layout = tableDir(t);
  const sampling = { method: 'random' as const, samples: 20, seed: 9 };
  await writeTaskTable(layout, designTable(PARAMS, sampleDesign(PARAMS, sampling), 9, 8, 0));
  const rows = await readTaskTable(layout);
  const points = samplePoints(PARAMS, sampling, { start: 0, count: 30 });
  t.same(
    rows,
    points.slice(0, 20).map((params, id) => ({ id, batch: Math.floor(id / 8), seed: taskSeed(9, id), params })),
  );
  const planned = readFileSync(layout.tasks);

  await appendTaskTable(layout, designTable(PARAMS, sampleDesign(PARAMS, sampling, { start: 20, count: 10 }), 9, 8, 20));
  const all = await readTaskTable(layout);
  t.same(all.slice(0, 20), rows, 'the planned rows are untouched');
  t.same(all.slice(20), points.slice(20).map((params, i) => ({ id: 20 + i, batch: Math.floor((20 + i) / 8), seed: taskSeed(9, 20 + i), params })));
  t.same(await readTaskRange(layout, 29, 30), all.slice(29));
  const extended = readFileSync(layout.tasks);
  t.ok(extended.subarray(20).subarray(0, planned.length - 20).equals(planned.subarray(20)), 'appended after the old bytes');
  t.same(readdirNames(layout), ['tasks.bin'], 'no temp file left');

  // an append must continue where the table ends, under the same columns; a refused one changes nothing
  await t.rejects(appendTaskTable(layout, designTable(PARAMS, sampleDesign(PARAMS, sampling, { start: 40, count: 1 }), 9, 8, 40)), {
    name: 'EnsembleError',
    message: /holds 30 tasks; cannot add tasks from id 40/,
  });
  const other = { ...PARAMS, c: { kind: 'values', values: ['red', 'blue'] } as ParamSpec };
  await t.rejects(appendTaskTable(layout, designTable(other, sampleDesign(other, sampling, { start: 30, count: 1 }), 9, 8, 30)), {
    message: /other parameter columns/,
  });
  t.ok(readFileSync(layout.tasks).equals(extended));
  t.same(readdirNames(layout), ['tasks.bin']);

  // rows 25..29 as if appended by a command that died before plan.json said so: an append from 25 replaces them
  await appendTaskTable(layout, designTable(PARAMS, sampleDesign(PARAMS, sampling, { start: 30, count: 2 }), 9, 8, 25));
  const replaced = await readTaskTable(layout);
  t.equal(replaced.length, 27, 'the unrecorded rows are gone, the new ones follow the recorded 25');
  t.same(replaced.slice(0, 25), all.slice(0, 25));
  t.same(replaced.slice(25).map((r) => [r.id, r.params]), samplePoints(PARAMS, sampling, { start: 30, count: 2 }).map((p, i) => [25 + i, p]));
});

t.test('a damaged table is a clear EnsembleError, not garbage', async (t) => {
  const layout = tableDir(t);
  await writeTaskTable(layout, rowsTable(ROWS));
  const good = readFileSync(layout.tasks);
  const damaged = (what: string, bytes: Buffer) => {
    writeFileSync(layout.tasks, bytes);
    return Promise.all([
      t.rejects(readTaskTable(layout), { name: 'EnsembleError', message: /is not a valid task table .*re-plan the ensemble/ }, `${what}: readTaskTable`),
      t.rejects(readTaskRange(layout, 0, 1), { name: 'EnsembleError', message: /is not a valid task table/ }, `${what}: readTaskRange`),
    ]);
  };
  await damaged('cut short by a row', good.subarray(0, good.length - 8));
  await damaged('cut inside the header', good.subarray(0, 30));
  await damaged('empty', Buffer.alloc(0));
  await damaged('a byte too many', Buffer.concat([good, Buffer.alloc(1)]));
  await damaged('not a task table', Buffer.from('{"id":0,"batch":0,"seed":1,"params":{}}\n'.repeat(3)));
  const header = Buffer.from(good);
  header.write('[', 20, 'latin1');
  await damaged('header not JSON', header);
  // a dict index beyond the values: the column m of row 0 (stride 8 × 10, dict code of m is slot 8)
  const head = good.readUInt32LE(16);
  const index = Buffer.from(good);
  index.writeDoubleLE(99, 20 + head + 8 * 8);
  writeFileSync(layout.tasks, index);
  await t.rejects(readTaskRange(layout, 0, 1), { name: 'EnsembleError', message: /task 0: 99 is no index of the values of "m"/ });
  t.same(await readTaskRange(layout, 1, 2), ROWS.slice(1, 2), 'the other rows still read');
  truncateSync(layout.tasks, 0);
  await t.rejects(readTaskRange(layout, 0, 1), { name: 'EnsembleError' });
});

t.test('rowsTable refuses rows it cannot store', async (t) => {
  t.throws(() => rowsTable([{ ...ROWS[1], id: 0 }, ROWS[0]].map((r, i) => (i === 1 ? { ...r, id: 5 } : r))), { message: /ids 0\.\.N-1 in order; row 1 has id 5/ });
  t.throws(() => rowsTable([ROWS[0], { ...ROWS[1], params: { x: 1 } }]), { message: /task 1 has other parameters/ });
  t.same(rowsTable([]).columns, []);
});

function readdirNames(layout: EnsembleLayout): string[] {
  return readdirSync(layout.planDir).sort();
}
