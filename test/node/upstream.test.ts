// upstreamInputs: a later stage's task reads its upstream row (parameters and result as <stage>.<column>), or fails
// with UpstreamError when the upstream task failed or has no record; a record written later is seen.
import t, { type Test } from 'tap';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EnsembleLayout } from '../../src/layout/layout.js';
import type { UpstreamSpec } from '../../src/plan/plan.js';
import { rowsTable, writeTaskTable, type TaskRow } from '../../src/plan/tasks.js';
import { upstreamInputs } from '../../src/node/upstream.js';
import { recordLine, taskRecord } from '../helpers/records.js';

const SPEC: UpstreamSpec = { stage: 'A', dir: '../A', depend: 'afterany' };

/** stages/A with three planned tasks (x, mode, and the lineage column Z.task) and no records yet; returns stages/B's root. */
async function twoStages(t: Test): Promise<{ a: EnsembleLayout; bRoot: string }> {
  const root = t.testdir({ stages: { A: { plan: {}, results: {} }, B: {} } });
  const a = new EnsembleLayout(join(root, 'stages', 'A'));
  await writeTaskTable(
    a,
    rowsTable([0, 1, 2].map((id) => ({ id, batch: 0, seed: 100 + id, params: { 'Z.task': 7 - id, x: id / 4, mode: id === 2 ? 'exit3' : 'ok' } }))),
  );
  return { a, bRoot: join(root, 'stages', 'B') };
}

const rowOf = (aTask: unknown, id = 0): TaskRow => ({ id, batch: 0, seed: 1, params: { 'A.task': aTask as number, h: 10 } });

t.test('a done upstream task: its parameters and result under A., lineage columns as they are', async (t) => {
  const { a, bRoot } = await twoStages(t);
  appendFileSync(a.recordFile('w0'), recordLine(taskRecord(1, { result: { y: 3, label: 'one', gone: null, 'Z.q': 5 } })));
  const got = await upstreamInputs(SPEC, bRoot, rowOf(1));
  t.same(got.values, { 'Z.task': 6, 'A.x': 0.25, 'A.mode': 'ok', 'A.y': 3, 'A.label': 'one', 'Z.q': 5 }, 'a null result value is left out');
  t.equal(got.outputs, null, 'no kept outputs');
});

t.test('the kept outputs of the upstream task are handed on', async (t) => {
  const { a, bRoot } = await twoStages(t);
  appendFileSync(a.recordFile('w0'), recordLine(taskRecord(0)));
  mkdirSync(a.outputs(0), { recursive: true });
  t.equal((await upstreamInputs(SPEC, bRoot, rowOf(0))).outputs, a.outputs(0));
});

t.test('a failed upstream task fails the task with the upstream reason', async (t) => {
  const { a, bRoot } = await twoStages(t);
  appendFileSync(a.recordFile('w0'), recordLine(taskRecord(2, { status: 'failed', reason: 'exit code 3', result: null })));
  await t.rejects(upstreamInputs(SPEC, bRoot, rowOf(2)), { name: 'UpstreamError', code: 'E_UPSTREAM', message: 'upstream failed: A task 2: exit code 3' });
});

t.test('an upstream task without a record fails the task', async (t) => {
  const { bRoot } = await twoStages(t);
  await t.rejects(upstreamInputs(SPEC, bRoot, rowOf(1)), {
    name: 'UpstreamError',
    message: 'upstream failed: A task 1 has no record (it never ran or was lost)',
  });
});

t.test('records written after a first read are seen: a late record, an upstream retry', async (t) => {
  const { a, bRoot } = await twoStages(t);
  await t.rejects(upstreamInputs(SPEC, bRoot, rowOf(0)), { message: /A task 0 has no record/ });
  appendFileSync(a.recordFile('w0'), recordLine(taskRecord(0, { result: { y: 1 } })));
  t.equal((await upstreamInputs(SPEC, bRoot, rowOf(0))).values['A.y'], 1, 'the record that arrived since');
  appendFileSync(a.recordFile('w0'), recordLine(taskRecord(1, { status: 'failed', reason: 'timeout: 5 s', result: null })));
  await t.rejects(upstreamInputs(SPEC, bRoot, rowOf(1)), { message: 'upstream failed: A task 1: timeout: 5 s' });
  appendFileSync(a.recordFile('w1'), recordLine(taskRecord(1, { attempt: 2, result: { y: 2 } })));
  t.equal((await upstreamInputs(SPEC, bRoot, rowOf(1))).values['A.y'], 2, 'the retried attempt');
});

t.test('a row without its upstream task id is a bad task table', async (t) => {
  const { bRoot } = await twoStages(t);
  await t.rejects(upstreamInputs(SPEC, bRoot, rowOf('1', 4)), { name: 'UpstreamError', message: 'bad task table: no A.task for task 4' });
  await t.rejects(upstreamInputs(SPEC, bRoot, { id: 5, batch: 0, seed: 0, params: { h: 1 } }), { message: 'bad task table: no A.task for task 5' });
});

t.test('a done record of a task the upstream table does not hold', async (t) => {
  const { a, bRoot } = await twoStages(t);
  appendFileSync(a.recordFile('w0'), recordLine(taskRecord(9)));
  const err = await upstreamInputs(SPEC, bRoot, rowOf(9, 3)).then(
    () => null,
    (e: unknown) => e as Error,
  );
  t.ok(err, 'rejects');
  t.match(err, { name: 'UpstreamError', message: 'bad task table: A has no task 9 (task 3 refers to it)' }, 'the upstream error it means to give');
});
