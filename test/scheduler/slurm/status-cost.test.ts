// Tests for the cheap-status parts of src/scheduler/slurm/: the state-only squeue (argv, parser, version gate) and the max_array_tasks chunk cap.
import t from 'tap';
import { slurmScheduler } from '../../../src/scheduler/slurm/binding.js';
import { squeueArgv } from '../../../src/scheduler/slurm/argv.js';
import { chunkCap, hasStateOnlySqueue, parseScontrolConfig, slurmLimits } from '../../../src/scheduler/slurm/limits.js';
import { parseSqueueOutput, statusByIndex } from '../../../src/scheduler/slurm/parse-status.js';

// `scontrol show config` of the test cluster (Slurm 22.05.8, scripts/slurm-up.sh), the lines limits discovery reads, pasted
// 2026-12-02; the second copy is the same with a site's `max_array_tasks` in SchedulerParameters (slurm.conf(5)) and 23.11.
const SCONTROL = `Configuration data as of 2026-12-02T07:23:52
AccountingStorageEnforce = none
AccountingStorageType   = accounting_storage/slurmdbd
ClusterName             = arrayflow
MaxArraySize            = 100001
MaxJobCount             = 200000
MinJobAge               = 300 sec
SchedulerParameters     = batch_sched_delay=0,sched_interval=2,bf_interval=1,sched_min_interval=0,default_queue_depth=1000
SchedulerType           = sched/backfill
SLURM_VERSION           = 22.05.8
`;
const SITE = SCONTROL.replace('default_queue_depth=1000', 'default_queue_depth=1000,max_array_tasks=1000,enable_job_state_cache').replace(
  '22.05.8',
  '23.11.4',
);

// squeue --only-job-state -h -t all -j … -o "%i|%T", in the shapes SchedMD's own test of the option asserts
// (testsuite/python/tests/test_136_1.py: `<id>_[1-4,6-10]=PENDING`, `<id>_5=RUNNING`, `<id>_5=CANCELLED`; `|` for `=` here).
const STATE_ONLY = `501_[1-4,6-10%3]|PENDING
501_5|RUNNING
501_0|CANCELLED
502|COMPLETED
`;

t.test('squeue asks for states only when told, with the two fields that option fills', async (t) => {
  t.same(squeueArgv(['501', '502'], { stateOnly: true }), ['env', 'SLURM_TIME_FORMAT=%s', 'squeue', '-h', '--only-job-state', '-t', 'all', '-j', '501,502', '-o', '%i|%T']);
  t.same(squeueArgv(['501']), ['env', 'SLURM_TIME_FORMAT=%s', 'squeue', '-h', '-t', 'all', '-j', '501', '-o', '%i|%A|%F|%K|%T|%r|%N|%S|%e'], 'the full format otherwise');
  t.same(slurmScheduler.statusArgv(['501'], false, [], { stateOnly: true }).slice(2, 5), ['squeue', '-h', '--only-job-state']);
  t.equal(slurmScheduler.statusArgv(['501'], true, [], { stateOnly: true })[2], 'sacct', 'the database is never asked "state only"');
});

t.test('state-only lines parse into the same statuses, ranges included', async (t) => {
  const st = parseSqueueOutput(STATE_ONLY);
  t.same(st, [
    { arrayJobId: '501', index: null, range: '1-4,6-10%3', state: 'pending', rawState: 'PENDING', scheduler: 'Slurm' },
    { arrayJobId: '501', index: 5, state: 'running', rawState: 'RUNNING', scheduler: 'Slurm' },
    { arrayJobId: '501', index: 0, state: 'cancelled', rawState: 'CANCELLED', scheduler: 'Slurm' },
    { arrayJobId: '502', index: null, state: 'completed', rawState: 'COMPLETED', scheduler: 'Slurm' },
  ]);
  const byIndex = statusByIndex(st, '501');
  t.same([...byIndex.keys()].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.equal(byIndex.get(7)?.state, 'pending');
  t.throws(() => parseSqueueOutput('501_5|RUNNING|x\n'), { name: 'SchedulerError' }, 'three fields is no format of ours');
});

t.test('the version gate: squeue --only-job-state from Slurm 23.11 on', async (t) => {
  for (const v of ['23.11.0', '23.11.4', '24.05.1', '25.05.0-0rc1', '100.0.0']) t.ok(hasStateOnlySqueue(v), v);
  for (const v of ['22.05.8', '23.02.7', '20.11.9', '', 'garbage', undefined]) t.notOk(hasStateOnlySqueue(v), String(v));
});

t.test('max_array_tasks is read from SchedulerParameters and caps the chunk with MaxArraySize', async (t) => {
  t.notOk('maxArrayTasks' in parseScontrolConfig(SCONTROL), 'the test cluster sets none');
  t.match(parseScontrolConfig(SITE), { maxArraySize: 100001, maxArrayTasks: 1000, version: '23.11.4' });
  t.equal(parseScontrolConfig(SCONTROL.replace('default_queue_depth=1000', 'max_array_tasks=0')).maxArrayTasks, undefined, '0 means no limit');
  t.equal(chunkCap({ maxArraySize: 100001, maxArrayTasks: 1000 }), 1000);
  t.equal(chunkCap({ maxArraySize: 500, maxArrayTasks: 1000 }), 500, 'chunks start at index 0: MaxArraySize caps the count as well');
  t.equal(chunkCap({}), undefined);

  // the last step asks sinfo for the CPUs; a missing sinfo leaves them unknown
  const limitsOf = (scontrol: string) => {
    const step = slurmLimits('alice').next({ stdout: scontrol, stderr: '', exitCode: 0 });
    return 'argv' in step ? step.next(new Error('spawn sinfo ENOENT')) : step;
  };
  t.same(limitsOf(SCONTROL), { limits: { maxArraySize: 100001, maxJobCount: 200000, maxSubmitJobs: undefined, accounting: true } }, '22.05: no stateOnly');
  t.same(limitsOf(SITE), { limits: { maxArraySize: 1000, maxJobCount: 200000, maxSubmitJobs: undefined, accounting: true, stateOnly: true } });
});
