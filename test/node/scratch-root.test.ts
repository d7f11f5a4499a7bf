// The scratch root: `auto` (the default) is the first set of $SLURM_TMPDIR, $LOCAL_SCRATCH, $TMPDIR, else /tmp; each
// record names the root its task ran under.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runElement } from '../../src/node/main.js';
import { resolveScratchRoot } from '../../src/node/wrapper.js';
import type { TaskRecord } from '../../src/records/record.js';
import { planIn } from '../helpers/plan.js';

t.test('resolveScratchRoot: auto picks the first of SLURM_TMPDIR, LOCAL_SCRATCH, TMPDIR that is set, else /tmp', async (t) => {
  const all = { SLURM_TMPDIR: '/slurm/job1', LOCAL_SCRATCH: '/local', TMPDIR: '/tmp/job1' };
  t.equal(resolveScratchRoot('auto', all), '/slurm/job1');
  t.equal(resolveScratchRoot('auto', { ...all, SLURM_TMPDIR: undefined }), '/local');
  t.equal(resolveScratchRoot('auto', { ...all, SLURM_TMPDIR: '', LOCAL_SCRATCH: '' }), '/tmp/job1', 'an empty variable counts as unset');
  t.equal(resolveScratchRoot('auto', { TMPDIR: '/pbs/tmp.123' }), '/pbs/tmp.123');
  t.equal(resolveScratchRoot('auto', {}), '/tmp');
  // a path as before: variables expanded, $TMPDIR falls back to the OS temp dir
  t.equal(resolveScratchRoot('/scratch/$USER/af', { USER: 'ada', SLURM_TMPDIR: '/x' }), '/scratch/ada/af');
  t.equal(resolveScratchRoot('${LOCAL_SCRATCH}/x', all), '/local/x');
  t.equal(resolveScratchRoot('$TMPDIR', all), '/tmp/job1', 'an explicit $TMPDIR means $TMPDIR, not auto');
});

t.test('each record names the scratch root its task ran under', async (t) => {
  const dir = t.testdir({ slurmtmp: {}, local: {}, fixed: {}, 'sim.sh': 'echo "{\\"y\\": $1}" > result.json\n' });
  const yaml = (scratch: string) => `name: scr
ensemble_dir: ens${scratch ? '-fixed' : ''}
command: [sh, sim.sh, "{x}"]
inputs: { copy: [sim.sh] }
parameters: { x: [1, 2] }
sampling: { method: grid }
executor: { type: slurm, array: { bundle: 2 }${scratch} }
`;
  const saved = { SLURM_TMPDIR: process.env.SLURM_TMPDIR, LOCAL_SCRATCH: process.env.LOCAL_SCRATCH };
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  const records = (root: string): TaskRecord[] =>
    readdirSync(join(root, 'results')).flatMap((f) => readFileSync(join(root, 'results', f), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as TaskRecord));

  // the default, auto, on a Slurm node
  const { layout, plan } = await planIn(dir, yaml(''));
  t.equal(plan.runtime.scratch, 'auto');
  process.env.SLURM_TMPDIR = join(dir, 'slurmtmp');
  process.env.LOCAL_SCRATCH = join(dir, 'local');
  t.equal(await runElement(layout.root, { index: 0, offset: 0, attempt: 1, jobId: '9_0' }), 0);
  const recs = records(layout.root);
  t.same(recs.map((r) => [r.task, r.status, r.scratch]), [0, 1].map((id) => [id, 'done', join(dir, 'slurmtmp')]));
  t.same(readdirSync(join(dir, 'slurmtmp')), [], 'and cleaned there');

  // a root from the config: recorded as expanded on the node
  const fixed = await planIn(dir, yaml(', scratch: "${LOCAL_SCRATCH}/../fixed"'));
  t.equal(await runElement(fixed.layout.root, { index: 0, offset: 0, attempt: 1, jobId: '9_1' }), 0);
  t.same(records(fixed.layout.root).map((r) => r.scratch), [0, 1].map(() => `${join(dir, 'local')}/../fixed`));
});
