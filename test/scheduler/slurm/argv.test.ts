// Tests for src/scheduler/slurm/argv.ts: sbatch, status and cancel argv, ids validated.
import t from 'tap';
import { SchedulerError } from '../../../src/errors.js';
import { sacctArgv, sbatchArgv, scancelArgv, squeueArgv } from '../../../src/scheduler/slurm/argv.js';

t.test('sbatchArgv submits with --parsable and never -Q', async (t) => {
  t.same(sbatchArgv('plan/scripts/0003.sbatch'), ['sbatch', '--parsable', 'plan/scripts/0003.sbatch']);
  t.notOk(sbatchArgv('x.sh').includes('-Q'));
  t.same(sbatchArgv('-weird.sh'), ['sbatch', '--parsable', './-weird.sh'], 'a leading dash is not an option');
  t.throws(() => sbatchArgv(''), SchedulerError);
  t.throws(() => sbatchArgv('a\nb'), SchedulerError);
});

t.test('status argv: one call for all jobs, times as epoch seconds, ids validated', async (t) => {
  t.same(sacctArgv(['332', '333', '333']), [
    'env', 'SLURM_TIME_FORMAT=%s', 'sacct', '-X', '-n', '-P', '-j', '332,333', '-o', 'JobID,JobIDRaw,State,ExitCode,Reason,NodeList,Start,End',
  ]);
  t.same(squeueArgv(['332', '337_4']), ['env', 'SLURM_TIME_FORMAT=%s', 'squeue', '-h', '-t', 'all', '-j', '332,337_4', '-o', '%i|%A|%F|%K|%T|%r|%N|%S|%e']);
  t.same(squeueArgv(['332'], { expandPending: true }).slice(2, 5), ['squeue', '-h', '-r']);
  t.same(scancelArgv(['337', '338_1']), ['scancel', '337', '338_1']);
  for (const build of [sacctArgv, squeueArgv, scancelArgv]) {
    t.throws(() => build([]), SchedulerError, 'an empty id list would select every job');
    t.throws(() => build(['-u root']), SchedulerError);
    t.throws(() => build(['12,13']), SchedulerError);
  }
});
