// readPlan: the plan of a planned ensemble directory, or an EnsembleError that says to plan it first.
import t from 'tap';
import { join } from 'node:path';
import { readPlan } from '../../src/plan/read.js';
import { drawnConfig, planIn } from '../helpers/plan.js';

t.test('readPlan gives the layout of the directory and the plan that was written', async (t) => {
  const dir = t.testdir({});
  const planned = await planIn(dir, drawnConfig({ n: 3 }));
  const { layout, plan } = await readPlan(join(dir, 'ens'));
  t.equal(layout.root, join(dir, 'ens'));
  t.same(plan, planned.plan);
});

t.test('a directory without plan/plan.json is not a planned ensemble', async (t) => {
  const dir = t.testdir({ empty: {}, partial: { plan: { 'tasks.bin': '' } }, odd: { plan: { 'plan.json': {} } } });
  for (const name of ['missing', 'empty', 'partial', 'odd']) {
    const ens = join(dir, name);
    const err = await readPlan(ens).then(
      () => null,
      (e: unknown) => e as Error & { code?: string; cause?: { code?: string } },
    );
    t.match(err, { name: 'EnsembleError', code: 'E_ENSEMBLE', message: `${ens} is not a planned ensemble (no plan/plan.json): run \`arrayflow plan <config>\` first` }, name);
    t.match(err?.cause, { code: name === 'odd' ? 'EISDIR' : 'ENOENT' }, `${name}: the read error is the cause`);
  }
});

t.test('a plan.json that is not JSON is an EnsembleError naming the file', async (t) => {
  const dir = t.testdir({ ens: { plan: { 'plan.json': '{"format": 1, "tasks": ' } } });
  const err = await readPlan(join(dir, 'ens')).then(
    () => null,
    (e: unknown) => e as Error,
  );
  t.ok(err, 'rejects');
  t.match(err, { name: 'EnsembleError', code: 'E_ENSEMBLE' }, 'a named error');
  t.match(err?.message, join(dir, 'ens', 'plan', 'plan.json'), 'the message names the file');
});

t.test("the root of a multi-stage ensemble is not an error to plan again: it names the stages' directories", async (t) => {
  const stages = { format: 1, name: 'chain', stages: [{ name: 'A' }, { name: 'B' }] };
  const dir = t.testdir({ ens: { 'stages.json': JSON.stringify(stages), stages: { A: {}, B: {} } } });
  const ens = join(dir, 'ens');
  const err = await readPlan(ens).then(
    () => null,
    (e: unknown) => e as Error,
  );
  t.match(err, { name: 'UsageError', code: 'E_USAGE' });
  t.equal(
    err?.message,
    `${ens} is a multi-stage ensemble: give one stage's directory (${join(ens, 'stages', 'A')}, ${join(ens, 'stages', 'B')}); see docs/stages.md`,
  );
  t.notMatch(err?.message, /arrayflow plan/, 'not told to plan it');
});
