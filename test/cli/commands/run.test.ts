// `arrayflow run`: from a machine without the scheduler's commands (one clear sentence, exit 1, nothing planned); refusing a dirty simulation repository, and its provenance in the dataset.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { packageRoot } from '../../../src/util/paths.js';
import { duckQuery, runCli, writeConfig } from '../../helpers/ensemble.js';
import { commitAll, outsideRepo } from '../../helpers/git.js';

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

t.test('provenance: require_clean_git refuses a dirty simulation repository (exit 2, the file named), runs once it is committed, and the Parquet file carries the commit', async (t) => {
  const root = outsideRepo(t);
  const sim = join(root, 'sim');
  const cfg = join(root, 'cfg');
  mkdirSync(sim);
  mkdirSync(cfg);
  writeFileSync(join(sim, 'run.sh'), 'echo "{\\"y\\": $1}" > result.json\n');
  writeFileSync(join(sim, 'input.txt'), 'input\n');
  await commitAll(sim);
  writeFileSync(join(sim, 'run.sh'), 'echo "{\\"y\\": $1}" > result.json # edited\n');
  const config = writeConfig(
    cfg,
    'name: prov\nensemble_dir: ens\ncommand: [sh, run.sh, "{x}"]\ninputs: { copy: [../sim/run.sh, ../sim/input.txt] }\n' +
      'parameters: { x: [1, 2] }\nsampling: { method: grid }\nexecutor: { type: local, workers: 2 }\nprovenance: { require_clean_git: true }\n',
  );
  const refused = await runCli(['run', config], { cwd: cfg });
  t.equal(refused.exitCode, 2, refused.stderr);
  t.match(refused.stderr, `arrayflow: the repository ${sim} (holding the inputs) has 1 file not committed: run.sh;`);
  t.notOk(existsSync(join(cfg, 'ens')), 'nothing planned or submitted');

  const head = await commitAll(sim);
  const ran = await runCli(['run', config], { cwd: cfg });
  t.equal(ran.exitCode, 0, ran.stderr);
  const kv = await duckQuery(`select decode(key) as k, decode(value) as v from parquet_kv_metadata('${join(cfg, 'ens', 'dataset.parquet')}')`);
  const meta = new Map(kv.map((r) => [r.k as string, r.v as string]));
  t.equal(meta.get('arrayflow.version'), JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version);
  t.equal(meta.get('arrayflow.config_sha256'), createHash('sha256').update(readFileSync(config)).digest('hex'));
  t.strictSame(JSON.parse(meta.get('arrayflow.git')!), [{ root: sim, holds: ['inputs'], commit: head, branch: 'main', dirty_count: 0 }]);
  const input = JSON.parse(meta.get('arrayflow.files')!).find((f: { path: string }) => f.path === join(sim, 'input.txt'));
  t.equal(input.sha256, createHash('sha256').update('input\n').digest('hex'));
  const manifest = JSON.parse(readFileSync(join(cfg, 'ens', 'manifest.json'), 'utf8'));
  t.strictSame(manifest.provenance.outside_git, [config], 'the config is in no repository');
});
