// Tests for src/render/submission.ts: rendered Slurm and PBS scripts (golden files a scheduler user can read) and chunk arithmetic.
import t, { type Test } from 'tap';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { jobName } from '../../src/plan/plan.js';
import { planSubmissions, renderSubmission } from '../../src/render/submission.js';
import { pbsScheduler } from '../../src/scheduler/pbs/binding.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import { golden } from '../helpers/golden.js';
import { slurmPlan as plan, pbsPlan } from '../helpers/plans.js';

// ------------------------------------------------------------------ Slurm

const layout = new EnsembleLayout('/scratch/ada/runs/sweep');

t.test('rendered sbatch scripts (golden files)', async (t) => {
  golden(t, 'slurm/chunk.golden.sbatch', renderSubmission(layout, plan(), slurmScheduler, { label: '0001', offset: 100, count: 100, attempt: 1 }, 50));
  // a resubmission of listed tasks at attempt 3: time and memory scaled by retry_scale, no throttle
  golden(
    t,
    'slurm/retry.golden.sbatch',
    renderSubmission(layout, plan(), slurmScheduler, { label: 'r2', offset: 0, count: 3, attempt: 3, tasksFile: 'plan/r2-tasks.json' }, undefined),
  );
  // an awkward path and directive value: quoted as one shell word each
  const odd = new EnsembleLayout("/scratch/o'brien/my runs");
  const text = renderSubmission(odd, plan({ resources: { partition: 'debug', extra: { comment: 'two words' } } }), slurmScheduler, { label: '0000', offset: 0, count: 10, attempt: 1 }, undefined);
  t.match(text, /task '\/scratch\/o'\\''brien\/my runs' --index-from/);
  t.match(text, /#SBATCH --comment='two words'/);
  t.notMatch(text, /alpha|python3|sim\.py/, 'no parameter values or commands in the script');
});

t.test('chunks: every chunk indexed from 0, ceil(tasks / (bundle x chunk)) submissions', async (t) => {
  const p = plan({ array: { bundle: 4, parallel: 1, max_array_size: 100, steal: true } });
  const chunks = planSubmissions(p, { maxArraySize: 1001 });
  t.equal(chunks.length, Math.ceil(1000 / (4 * 100)));
  t.same(chunks.map((c) => [c.offset, c.count]), [[0, 100], [100, 100], [200, 50]]);
  t.equal(planSubmissions(plan(), { maxArraySize: 1001, maxSubmitJobs: 40 }).length, Math.ceil(250 / 40), 'MaxSubmitJobs caps the chunk too');
});

// ------------------------------------------------------------------ PBS

/**
 * Compares with test/fixtures/pbs/<name>. The job name is src/plan/plan.ts's business, so the golden files hold
 * `<jobName>` in its place.
 */
function pbsGolden(t: Test, name: string, rendered: string, label: string): void {
  golden(t, `pbs/${name}`, rendered.replace(`#PBS -N ${jobName(pbsPlan(), label)}\n`, '#PBS -N <jobName>\n'));
}

const pbsLayout = new EnsembleLayout('/scratch/alice/sweep');

t.test('rendered PBS scripts (golden files)', async (t) => {
  const pro = pbsScheduler('pro');
  pbsGolden(t, 'pbspro-array.golden.pbs', renderSubmission(pbsLayout, pbsPlan(), pro, { label: '0000', offset: 0, count: 10, attempt: 1 }, 8), '0000');
  // one element: PBS Pro refuses arrays of one subjob, so a plain job told --index 0
  pbsGolden(t, 'pbspro-single.golden.pbs', renderSubmission(pbsLayout, pbsPlan(), pro, { label: '0002', offset: 19, count: 1, attempt: 1 }, undefined), '0002');
  // a retry of listed tasks, no throttle, no resources
  pbsGolden(t, 'pbspro-retry.golden.pbs', renderSubmission(pbsLayout, pbsPlan({ resources: {} }), pro,
    { label: 'r1', offset: 0, count: 3, attempt: 2, tasksFile: 'plan/r1-tasks.json' }, undefined), 'r1');
  const torque = pbsScheduler('torque');
  pbsGolden(t, 'torque-array.golden.pbs', renderSubmission(pbsLayout, pbsPlan({ dialect: 'torque', resources: { time: '90', mem: '2G', cpus: 2, gpus: 1, partition: 'batch' } }), torque,
    { label: '0001', offset: 10, count: 10, attempt: 1 }, 5), '0001');
});

// ------------------------------------------------------------------ executor.setup

const SETUP = ['module load python/3.11', `source "$HOME/venv/bin/activate"  # the user's shell, as written`];

t.test('executor.setup: written as it is after the directives and before the task wrapper (golden files)', async (t) => {
  const slurm = renderSubmission(layout, plan({ setup: SETUP }), slurmScheduler, { label: '0000', offset: 0, count: 10, attempt: 1 }, 5);
  golden(t, 'slurm/setup.golden.sbatch', slurm);
  const lines = slurm.split('\n');
  const at = (l: string) => lines.indexOf(l);
  t.ok(at(SETUP[0]) > Math.max(...lines.map((l, i) => (l.startsWith('#SBATCH') ? i : -1))), 'after every directive');
  t.equal(at(SETUP[1]), at(SETUP[0]) + 1, 'in order, one line each');
  t.ok(at(SETUP[1]) < lines.findIndex((l) => l.startsWith('exec ')), 'before the wrapper');
  t.match(slurm, /^#SBATCH --constraint='skylake&ib'$/m, 'every other value is still quoted');
  // PBS Pro: the array branch and the plain-job branch (one element) both get it; Torque too
  const pro = pbsScheduler('pro');
  pbsGolden(t, 'pbspro-setup.golden.pbs', renderSubmission(pbsLayout, pbsPlan({ setup: SETUP }), pro, { label: '0000', offset: 0, count: 10, attempt: 1 }, 8), '0000');
  const single = renderSubmission(pbsLayout, pbsPlan({ setup: SETUP }), pro, { label: '0002', offset: 19, count: 1, attempt: 1 }, undefined);
  t.match(single, new RegExp(`\\n${SETUP[0]}\\n[^]*\\nexec .* --index 0 `), 'a one-element PBS Pro job runs them too');
  const torque = renderSubmission(pbsLayout, pbsPlan({ dialect: 'torque', setup: SETUP }), pbsScheduler('torque'), { label: '0001', offset: 10, count: 10, attempt: 1 }, 5);
  t.match(torque, new RegExp(`\\n${SETUP[0]}\\n.*activate.*\\n\\n# The task wrapper`));
});

t.test('executor.setup: none or empty renders the script as before; a line break is refused at render time too', async (t) => {
  const before = renderSubmission(layout, plan(), slurmScheduler, { label: '0000', offset: 0, count: 10, attempt: 1 }, 5);
  t.equal(renderSubmission(layout, plan({ setup: [] }), slurmScheduler, { label: '0000', offset: 0, count: 10, attempt: 1 }, 5), before);
  t.notMatch(before, /executor\.setup/);
  for (const bad of ['a\nb', 'a\rb', 'a\0b']) {
    t.throws(() => renderSubmission(layout, plan({ setup: [bad] }), slurmScheduler, { label: '0000', offset: 0, count: 1, attempt: 1 }, undefined), /one line/, JSON.stringify(bad));
  }
});
