// `arrayflow run` from a machine without the scheduler's commands: one clear sentence, exit 1, nothing planned.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli, writeConfig } from '../../helpers/ensemble.js';

t.test('type: slurm with no sbatch on PATH says where to run it and leaves no ensemble behind', async (t) => {
  const dir = t.testdir();
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const config = writeConfig(dir, 'name: t\nensemble_dir: ens\ncommand: [/bin/true]\nparameters:\n  x: { values: [1] }\nsampling: { method: grid }\nexecutor: { type: slurm }\n');
  const r = await runCli(['run', config], { cwd: dir, env: { PATH: bin } });
  t.equal(r.exitCode, 1);
  t.match(r.stderr, /^arrayflow: sbatch is not on this machine's PATH, so slurm jobs cannot be submitted from here: run arrayflow on the cluster's login node, or set executor\.host \(or --host\)/);
  t.notOk(existsSync(join(dir, 'ens')), 'nothing was planned');
});

t.test('a usage error of the command line exits 2', async (t) => {
  const r = await runCli(['run', '--bogus', 'x.yaml']);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /unknown option '--bogus'/);
});
