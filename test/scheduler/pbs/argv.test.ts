// Tests for src/scheduler/pbs/argv.ts: qsub and qselect argv.
import t from 'tap';
import { qselectArgv, qsubArgv } from '../../../src/scheduler/pbs/argv.js';

t.test('qsub: argv', async (t) => {
  t.same(qsubArgv('/e/plan/scripts/chunk-0000.pbs'), ['qsub', '/e/plan/scripts/chunk-0000.pbs']);
  t.same(qsubArgv('-x.pbs', { stdout: '/e/l/a.out', stderr: '/e/l/a.err' }), ['qsub', '-o', '/e/l/a.out', '-e', '/e/l/a.err', './-x.pbs']);
  t.throws(() => qsubArgv('/e/$(rm -rf ~)/s.pbs', { viaShell: true }), { message: /through a shell unquoted/ });
  t.throws(() => qsubArgv('/e/a\nb.pbs'), { message: /line break/ });
});

t.test('qselect finds jobs by name: argv', async (t) => {
  t.same(qselectArgv('pro', 'af-sweep-k3x9q2-0000'), ['qselect', '-x', '-N', 'af-sweep-k3x9q2-0000']);
  t.same(qselectArgv('torque', 'af-sweep-k3x9q2-0000'), ['qselect', '-N', 'af-sweep-k3x9q2-0000']);
  t.throws(() => qselectArgv('pro', 'a b'));
});
