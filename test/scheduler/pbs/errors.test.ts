// Tests for src/scheduler/pbs/errors.ts: qsub errors quoted verbatim, unknown jobs, query errors.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/util/paths.js';
import { classifyQsubError, classifyQueryError, isUnknownJobError, parseUnknownJobIds } from '../../../src/scheduler/pbs/errors.js';

const fixture = (name: string) => readFileSync(join(packageRoot, 'test', 'fixtures', 'pbs', name), 'utf8');

t.test('qsub: its errors quoted verbatim', async (t) => {
  for (const msg of [
    'qsub: Maximum number of jobs already in queue',
    "qsub: would exceed queue generic's per-user limit of jobs in 'Q' state",
    'Connection refused\nqsub: cannot connect to server pbs01 (errno=111)',
    'pbs_iff: cannot connect to host\npbs_iff: all reserved ports in use',
  ]) {
    const e = classifyQsubError(msg, 38, 'plan/scripts/chunk-0001.pbs');
    t.ok(e.transient, `transient: ${msg.split('\n')[0]}`);
    t.ok(e.message.includes(msg), 'quotes qsub verbatim');
  }
  const e = classifyQsubError('qsub: Unknown queue', 170, 'plan/scripts/chunk-0000.pbs');
  t.notOk(e.transient);
  t.equal(e.message, 'qsub rejected plan/scripts/chunk-0000.pbs (exit 170): "qsub: Unknown queue" — check executor.resources.partition (qstat -Q lists the queues)');
  t.match(classifyQsubError('qsub: illegal -J value', 2, 's.pbs').message, /%throttle/);

  // Slurm's wrapper: nothing on stderr, sbatch's error on stdout (recorded)
  const stdout = fixture('slurm-wrapper-qsub-bad-partition.stdout');
  t.equal(fixture('slurm-wrapper-qsub-bad-partition.stderr'), '');
  t.match(classifyQsubError('', 1, 's.pbs').message, /without a message on stderr.*stdout/);
  const w = classifyQsubError('', 1, 's.pbs', stdout);
  t.match(w.message, /Invalid partition name specified.*check executor\.resources\.partition/s);
});

t.test('unknown jobs, query errors', async (t) => {
  t.ok(isUnknownJobError('qstat: Unknown Job Id 4711[].pbs01'));
  t.ok(isUnknownJobError('qstat: Unknown Job Id Error 812.torque01'));
  t.ok(isUnknownJobError('qstat: 4712.pbs01 Job has finished, use -x or -H to obtain historical job information'));
  t.notOk(isUnknownJobError('Connection refused'));
  t.same(parseUnknownJobIds('qstat: Unknown Job Id 4711[].pbs01\nqstat: Unknown Job Id Error 812.torque01\nqstat: 4712.pbs01 Job has finished, use -x or -H to obtain historical job information\n'),
    ['4711[].pbs01', '812.torque01', '4712.pbs01']);
  t.ok(classifyQueryError(['qstat'], 'pbs_iff: cannot connect to host', 15010).transient);
  t.notOk(classifyQueryError(['qstat'], 'qstat: illegal -F value', 2).transient);
});
