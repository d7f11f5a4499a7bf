// `arrayflow plan` through the CLI: deterministic task tables, re-planning an ensemble, a changed config refused.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { runCli, writeConfig } from '../helpers/ensemble.js';

t.test('the same config planned twice gives byte-identical task tables', async (t) => {
  const dir = t.testdir();
  const yaml = (ens: string) => `name: lhs
ensemble_dir: ${ens}
command: [node, -e, "0"]
parameters:
  a: { uniform: [0, 1] }
  b: { loguniform: [0.001, 10] }
  n: { int: [1, 50] }
  c: { values: [red, green, blue] }
sampling: { method: lhs, samples: 500, seed: 11 }
`;
  for (const ens of ['one', 'two']) {
    const r = await runCli(['plan', writeConfig(dir, yaml(ens), `${ens}.yaml`)]);
    t.equal(r.exitCode, 0, r.stderr);
  }
  const one = readFileSync(join(dir, 'one', 'plan', 'tasks.bin'));
  t.ok(one.equals(readFileSync(join(dir, 'two', 'plan', 'tasks.bin'))), 'tasks.bin identical');
  t.equal((await readTaskTable(new EnsembleLayout(join(dir, 'one')))).length, 500);
  // planning an existing ensemble again leaves it untouched; a different config is refused
  const again = await runCli(['plan', join(dir, 'one.yaml')]);
  t.match(again.stdout, /already planned/);
  writeConfig(dir, yaml('one').replace('seed: 11', 'seed: 12'), 'changed.yaml');
  const changed = await runCli(['plan', join(dir, 'changed.yaml')]);
  t.equal(changed.exitCode, 2, 'a config error, as the exit-status list says');
  t.match(changed.stderr, new RegExp(`^${join(dir, 'changed.yaml')}:\\d+:\\d+: sampling\\.seed: differs from the ensemble planned in ${join(dir, 'one')}: `));
  t.match(changed.stderr, /\n1 problem in the config\.$/);
  t.notMatch(changed.stderr, /\n\s+at /);
});
