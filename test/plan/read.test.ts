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
