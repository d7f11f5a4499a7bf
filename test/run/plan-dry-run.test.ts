// `plan --dry-run`: the bundle chosen (and why) for each stage, the setup lines in the scripts; the library and the CLI.
import t from 'tap';
import { dryRunTotals } from '../../src/cli/commands/plan.js';
import { dryRunPlan } from '../../src/run/plan.js';
import { runCli, writeConfig } from '../helpers/ensemble.js';
import { stubSlurm } from '../helpers/fake-slurm.js';

const config = (executor: string, extra = 'expected_task_time: 2s') => `name: dry
ensemble_dir: ens
command: [python3, sim.py, "{x}"]
${extra}
parameters:
  x: { uniform: [0, 1] }
sampling: { method: lhs, samples: 1000, seed: 1 }
executor: ${executor}
`;

t.test('dryRunPlan: the chosen bundle and its reason, the chunks it makes, the setup lines in every script', async (t) => {
  const dir = t.testdir({});
  const file = writeConfig(dir, config('{ type: slurm, array: { throttle: 40 }, setup: ["module load python/3.11"] }'));
  const transport = stubSlurm();
  const d = await dryRunPlan(file, { transport });
  t.same(d.bundles, [
    { tasks: 1000, bundle: 25, elements: 40, reason: 'expected 2.0 s per task (expected_task_time), target 10 min per element, 40 slots (throttle): capped so the 1000 tasks fill the slots, ≈ 52 s per element' },
  ]);
  t.match(d, { tasks: 1000, elements: 40, executor: 'slurm', limitsNote: null });
  t.equal(d.scripts.length, 1, '40 elements: one submission under MaxArraySize 101');
  t.match(d.scripts[0].script, /\nmodule load python\/3\.11\n\n# The task wrapper/);
  t.same(transport.argvs, [['scontrol', 'show', 'config'], ['sinfo', '-h', '-o', '%P %C']], 'nothing submitted: the limits and the CPUs asked');
});

t.test('dryRunPlan: an explicit bundle wins; each stage of a multi-stage config has its own choice', async (t) => {
  const dir = t.testdir({});
  const explicit = writeConfig(dir, config('{ type: slurm, array: { bundle: 7 } }'), 'explicit.yaml');
  t.same((await dryRunPlan(explicit, { transport: stubSlurm() })).bundles, [{ tasks: 1000, bundle: 7, elements: 143, reason: 'set in the config (executor.array.bundle)' }]);
  const staged = writeConfig(
    dir,
    `name: two
ensemble_dir: ens2
command: [sim]
expected_task_time: 1m
stages:
  - name: coarse
    parameters: { x: { uniform: [0, 1] } }
    sampling: { method: lhs, samples: 400 }
  - name: fine
    expected_task_time: 1s
executor: { type: local }
`,
    'staged.yaml',
  );
  const d = await dryRunPlan(staged);
  t.match(d.bundles, [
    { stage: 'coarse', tasks: 400, bundle: 4, elements: 100, reason: /^expected 60 s per task/ },
    { stage: 'fine', tasks: 400, bundle: 4, elements: 100, reason: /^expected 1\.0 s per task/ },
  ]);
  t.same(d.scripts, [], 'local: nothing to submit');
});

t.test('dryRunPlan of a config submitted over SSH asks this machine nothing, as the run plans before it connects', async (t) => {
  const dir = t.testdir({});
  const d = await dryRunPlan(writeConfig(dir, config('{ type: slurm, host: login.example, remote: { dir: /scratch/me/dry } }')));
  t.match(d.limitsNote, /^the cluster is reached over SSH \(executor\.host login\.example\) only when the ensemble runs/);
  t.match(d.bundles, [{ reason: /, 100 slots \(default\)/ }], "the run's choice: this machine's CPUs are not the cluster's");
  t.equal(d.scripts.length, 1);
});

t.test('plan --dry-run prints the choice', async (t) => {
  const dir = t.testdir({});
  const r = await runCli(['plan', '--dry-run', writeConfig(dir, config('{ type: local }'))]);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /^bundle 10 \(1000 tasks in 100 elements\): expected 2\.0 s per task \(expected_task_time\), target 10 min per element, 100 slots \(default\): capped so the 1000 tasks fill the slots, ≈ 21 s per element$/m);
  const unknown = await runCli(['plan', '--dry-run', writeConfig(dir, config('{ type: local }', ''), 'unknown.yaml')]);
  t.match(unknown.stdout, /^bundle 1 \(1000 tasks in 1000 elements\): task time unknown and no timeout to bound it/m);
});

t.test('dryRunPlan with the task time unknown: the probe goes out first; the last line says the rest is submitted later', async (t) => {
  const dir = t.testdir({});
  const d = await dryRunPlan(writeConfig(dir, config('{ type: slurm }', 'timeout: 1h')), { transport: stubSlurm() });
  t.match(d.bundles, [{ tasks: 1000, bundle: 1, probe: 100, reason: /^task time unknown: the first 100 tasks \(100 slots, default\)/ }]);
  t.equal(d.scripts.length, 1);
  t.match(d.scripts[0].script, /#SBATCH --array=0-99\n/, "the script is the probe's: 100 elements");
  t.equal(dryRunTotals(d), "1000 tasks; 1 submission now, the probe's; the other 900 tasks are bundled and submitted once it has measured their time");
  const known = await dryRunPlan(writeConfig(dir, config('{ type: slurm }'), 'known.yaml'), { transport: stubSlurm() });
  t.equal(known.bundles[0].probe, undefined);
  t.equal(dryRunTotals(known), `1000 tasks in ${known.elements} array elements; 1 submission`);
});
