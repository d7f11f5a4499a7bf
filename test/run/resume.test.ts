// `arrayflow resume` from the ensemble directory alone, and again with nothing left to run.
import t from 'tap';
import { join } from 'node:path';
import { behaveSim, runCli, writeConfig } from '../helpers/ensemble.js';

t.test('resume from the ensemble directory alone', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, `name: res
ensemble_dir: ens
command: [node, behave.mjs, ok, "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  x: { int: [1, 6] }
sampling: { method: grid }
`);
  t.equal((await runCli(['plan', config])).exitCode, 0);
  const r = await runCli(['resume', join(dir, 'ens'), '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /6 done, 0 failed, 0 pending/);
  const again = await runCli(['resume', join(dir, 'ens'), '--no-progress']);
  t.match(again.stdout, /; 0 to run/);
});
