// Tests for src/scheduler/slurm.ts (and the shared types.ts): parsers on real Slurm output, plus a live round trip gated by requireSlurm.
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { execa } from 'execa';
import { SchedulerError } from '../../src/errors.js';
import {
  applyMemoryKill,
  classifyQueryError,
  classifySbatchError,
  detectMemoryKill,
  expandArrayRange,
  isUnknownJobError,
  mapSlurmState,
  parseSacctmgrLimits,
  parseSacctOutput,
  parseSbatchOutput,
  parseScontrolConfig,
  parseSqueueOutput,
  sacctArgv,
  sacctmgrLimitsArgv,
  sbatchArgv,
  scancelArgv,
  scontrolConfigArgv,
  squeueArgv,
  statusByIndex,
} from '../../src/scheduler/slurm.js';
import { failureReason, isFinal, type ElementStatus } from '../../src/scheduler/types.js';
import { requireSlurm, slurmEnv } from '../helpers/slurm.js';

// ---------------------------------------------------------------------------------------------
// Fixtures: recorded from Slurm 22.05.8 (Debian 12 packages) on the test cluster of
// scripts/slurm-up.sh (one node "vm", 8 CPUs, accounting through slurmdbd, no cgroups), with the
// exact argv the builders below produce. Job ids are whatever the cluster handed out.
// ---------------------------------------------------------------------------------------------

// squeue -h -t all -j 332,333,334,335,336,337 -o "%i|%A|%F|%K|%T|%r|%N", 4 s after submitting:
// 332 = 2 x sleep 300 with --time=1 (running), 333 = 4 x true, 334 = 3 x exit 3, 335 = 2 x over --mem=50M,
// 336 = non-array true, 337 = --array=0-99%4 of sleep 300 (4 running, the rest one pending line).
const SQUEUE_RUNNING = `333_0|339|333|0|COMPLETED|None|vm
333_1|340|333|1|COMPLETED|None|vm
333_2|341|333|2|COMPLETED|None|vm
333_3|333|333|3|COMPLETED|None|vm
336|336|336|N/A|COMPLETED|None|vm
334_0|342|334|0|FAILED|NonZeroExitCode|vm
334_1|343|334|1|FAILED|NonZeroExitCode|vm
334_2|334|334|2|FAILED|NonZeroExitCode|vm
335_0|344|335|0|FAILED|JobLaunchFailure|vm
335_1|335|335|1|FAILED|JobLaunchFailure|vm
337_[4-99%4]|337|337|4-99%4|PENDING|JobArrayTaskLimit|
332_0|338|332|0|RUNNING|None|vm
332_1|332|332|1|RUNNING|None|vm
337_3|348|337|3|RUNNING|None|vm
337_0|345|337|0|RUNNING|None|vm
337_1|346|337|1|RUNNING|None|vm
337_2|347|337|2|RUNNING|None|vm
`;

// squeue -h -r -t all -j 337 -o "%i|%A|%F|%K|%T|%r|%N" (first 8 lines): -r prints one line per pending index.
const SQUEUE_RUNNING_R = `337_4|337|337|4|PENDING|JobArrayTaskLimit|
337_5|337|337|5|PENDING|JobArrayTaskLimit|
337_6|337|337|6|PENDING|JobArrayTaskLimit|
337_7|337|337|7|PENDING|JobArrayTaskLimit|
337_8|337|337|8|PENDING|JobArrayTaskLimit|
337_9|337|337|9|PENDING|JobArrayTaskLimit|
337_10|337|337|10|PENDING|JobArrayTaskLimit|
337_11|337|337|11|PENDING|JobArrayTaskLimit|
`;

// sacct -X -n -P -j 332,333,334,335,336,337 -o JobID,JobIDRaw,State,ExitCode,Reason,NodeList, same moment.
const SACCT_RUNNING = `336|336|COMPLETED|0:0|None|vm
332_0|338|RUNNING|0:0|None|vm
332_1|332|RUNNING|0:0|None|vm
333_0|339|COMPLETED|0:0|None|vm
333_1|340|COMPLETED|0:0|None|vm
333_2|341|COMPLETED|0:0|None|vm
333_3|333|COMPLETED|0:0|None|vm
334_0|342|FAILED|3:0|None|vm
334_1|343|FAILED|3:0|None|vm
334_2|334|FAILED|3:0|None|vm
335_0|344|FAILED|0:9|None|vm
335_1|335|FAILED|0:9|None|vm
337_0|345|RUNNING|0:0|None|vm
337_1|346|RUNNING|0:0|None|vm
337_2|347|RUNNING|0:0|None|vm
337_3|348|RUNNING|0:0|None|vm
337_[4-99%4]|337|PENDING|0:0|JobArrayTaskLimit|None assigned
`;

// squeue ... -j 337 after `scancel 337_1` (one task).
const SQUEUE_TASK_CANCELLED = `337_1|346|337|1|CANCELLED|None|vm
337_[5-99%4]|337|337|5-99%4|PENDING|JobArrayTaskLimit|
337_4|349|337|4|RUNNING|None|vm
337_3|348|337|3|RUNNING|None|vm
337_2|347|337|2|RUNNING|None|vm
337_0|345|337|0|RUNNING|None|vm
`;

// squeue ... -j 337 0.2 s after `scancel 337` (the whole array).
const SQUEUE_CANCELLED = `337_[5-99%4]|337|337|5-99%4|CANCELLED|JobArrayTaskLimit|
337_4|349|337|4|CANCELLED|None|vm
337_3|348|337|3|CANCELLED|None|vm
337_2|347|337|2|CANCELLED|None|vm
337_1|346|337|1|CANCELLED|None|vm
337_0|345|337|0|CANCELLED|None|vm
`;

// sacct ... -j 337 3 s later. Note the stale range 337_[4-99%4] next to 337_4.
const SACCT_CANCELLED = `337_0|345|CANCELLED by 0|0:0|None|vm
337_1|346|CANCELLED by 0|0:0|None|vm
337_2|347|CANCELLED by 0|0:0|None|vm
337_3|348|CANCELLED by 0|0:0|None|vm
337_4|349|CANCELLED by 0|0:0|JobArrayTaskLimit|vm
337_[4-99%4]|337|CANCELLED by 0|0:0|JobArrayTaskLimit|None assigned
`;

// squeue ... for all six jobs once 332 hit its time limit (~82 s after start).
const SQUEUE_FINAL = `337_[5-99%4]|337|337|5-99%4|CANCELLED|JobArrayTaskLimit|
337_4|349|337|4|CANCELLED|None|vm
337_3|348|337|3|CANCELLED|None|vm
337_0|345|337|0|CANCELLED|None|vm
337_1|346|337|1|CANCELLED|None|vm
337_2|347|337|2|CANCELLED|None|vm
333_0|339|333|0|COMPLETED|None|vm
333_1|340|333|1|COMPLETED|None|vm
333_2|341|333|2|COMPLETED|None|vm
333_3|333|333|3|COMPLETED|None|vm
336|336|336|N/A|COMPLETED|None|vm
334_0|342|334|0|FAILED|NonZeroExitCode|vm
334_1|343|334|1|FAILED|NonZeroExitCode|vm
334_2|334|334|2|FAILED|NonZeroExitCode|vm
335_0|344|335|0|FAILED|JobLaunchFailure|vm
335_1|335|335|1|FAILED|JobLaunchFailure|vm
332_0|338|332|0|TIMEOUT|TimeLimit|vm
332_1|332|332|1|TIMEOUT|TimeLimit|vm
`;

// sacct ... for all six jobs at the same moment.
const SACCT_FINAL = `336|336|COMPLETED|0:0|None|vm
332_0|338|TIMEOUT|0:0|None|vm
332_1|332|TIMEOUT|0:0|None|vm
333_0|339|COMPLETED|0:0|None|vm
333_1|340|COMPLETED|0:0|None|vm
333_2|341|COMPLETED|0:0|None|vm
333_3|333|COMPLETED|0:0|None|vm
334_0|342|FAILED|3:0|None|vm
334_1|343|FAILED|3:0|None|vm
334_2|334|FAILED|3:0|None|vm
335_0|344|FAILED|0:9|None|vm
335_1|335|FAILED|0:9|None|vm
337_0|345|CANCELLED by 0|0:0|None|vm
337_1|346|CANCELLED by 0|0:0|None|vm
337_2|347|CANCELLED by 0|0:0|None|vm
337_3|348|CANCELLED by 0|0:0|None|vm
337_4|349|CANCELLED by 0|0:0|JobArrayTaskLimit|vm
337_[4-99%4]|337|CANCELLED by 0|0:0|JobArrayTaskLimit|None assigned
`;

// An earlier run with the 6-field squeue format (no %N); 316 = a script that sends itself SIGTERM.
const SQUEUE_6_FIELDS = `316_0|316|316|0|FAILED|JobLaunchFailure
317|317|317|N/A|COMPLETED|None
`;
const SACCT_SIGTERM = `316_0|316|FAILED|0:15|None|vm
`;

// stderr of the over-memory task 335_0 (its SLURM_JOB_ID is 344); the "CANCELLED AT" line has no
// "DUE TO TIME LIMIT" and the step is killed by SIGKILL (sacct: FAILED 0:9).
const STDERR_MEMORY_KILL = `slurmstepd-vm: error: StepId=344.batch exceeded memory limit (486391808 > 52428800), being killed
slurmstepd-vm: error: Exceeded job memory limit
slurmstepd-vm: error: *** JOB 344 ON vm CANCELLED AT 2026-11-22T16:39:23 ***
slurmstepd-vm: error: StepId=344.batch exceeded memory limit (486391808 > 52428800), being killed
slurmstepd-vm: error: Exceeded job memory limit
`;
// stdout+stderr of the timed-out task 332_0 (SLURM_JOB_ID 338).
const STDERR_TIMEOUT = `slurmstepd-vm: error: *** JOB 338 ON vm CANCELLED AT 2026-11-22T16:40:41 DUE TO TIME LIMIT ***
`;

// stderr of failing commands, recorded on the same cluster. "Unable to contact" ones come from a
// copy of slurm.conf pointing at a port where nothing listens (what clients print while
// slurmctld restarts).
const ERR = {
  sbatchNoController: 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n',
  squeueNoController: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n',
  scontrolNoController: 'slurm_load_ctl_conf error: Unable to contact slurm controller (connect failure)\n',
  sacctNoDbd:
    'sacct: error: slurm_persist_conn_open_without_init: failed to open persistent connection to host:127.0.0.1:6992: Connection refused\n' +
    'sacct: error: Sending PersistInit msg: Connection refused\n' +
    'sacct: error: Problem talking to the database: Connection refused\n',
  badPartition:
    'sbatch: error: invalid partition specified: nopart\nsbatch: error: Batch job submission failed: Invalid partition name specified\n',
  badArray: 'sbatch: error: Batch job submission failed: Invalid job array specification\n', // --array=0-200000 > MaxArraySize
  badMem:
    'sbatch: error: Memory specification can not be satisfied\nsbatch: error: Batch job submission failed: Requested node configuration is not available\n',
  badTime: 'sbatch: error: Invalid --time specification\n', // exit 255
  noScript: 'sbatch: error: Unable to open file nonexist.sh\n',
  unknownJob: 'slurm_load_jobs error: Invalid job id specified\n', // squeue -j <one purged id>, exit 1
};
// Not reproducible here (the test cluster does not enforce limits): wording as printed by
// sbatch on sites that do (Slurm's own messages; the first line names the limit).
const ERR_DOCUMENTED = {
  assocSubmitLimit:
    "sbatch: error: AssocMaxSubmitJobLimit\nsbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)\n",
  qosSubmitLimit:
    "sbatch: error: QOSMaxSubmitJobPerUserLimit\nsbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)\n",
  genericPolicy:
    "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)\n",
  qosCpuLimit: 'sbatch: error: QOSMaxCpuPerJobLimit\nsbatch: error: Batch job submission failed: Job violates accounting/QOS policy\n',
  socketTimeout: 'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation\n',
  eagain: 'sbatch: error: Batch job submission failed: Resource temporarily unavailable\n',
  tempUnable: 'sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying\nsbatch: error: Batch job submission failed: Slurm temporarily unable to accept job\n',
};

// Excerpt of `scontrol show config` (its first, cluster and limits lines, and its last line).
const SCONTROL_CONFIG = `Configuration data as of 2026-11-22T16:35:28
AccountingStorageBackupHost = (null)
AccountingStorageEnforce = none
AccountingStorageHost   = 127.0.0.1
AccountingStoragePort   = 6819
AccountingStorageTRES   = cpu,mem,energy,node,billing,fs/disk,vmem,pages
AccountingStorageType   = accounting_storage/slurmdbd
AccountingStorageUser   = N/A
ClusterName             = arrayflow
MaxArraySize            = 100001
MaxDBDMsgs              = 400004
MaxJobCount             = 200000
MaxJobId                = 67043328
MaxMemPerNode           = UNLIMITED
MessageTimeout          = 10 sec
MinJobAge               = 300 sec
SLURM_CONF              = /var/tmp/arrayflow-slurm/etc/slurm.conf
SLURM_VERSION           = 22.05.8
X11Parameters           = (null)

Slurmctld(primary) at vm is UP
`;

// sacctmgr -n -P show assoc user=<u> format=Cluster,Account,Partition,MaxSubmitJobs,GrpSubmitJobs:
// root (no limits), and a user added with MaxSubmitJobs=5 GrpSubmitJobs=7.
const SACCTMGR_NO_LIMIT = 'arrayflow|root|||\n';
const SACCTMGR_LIMITS = 'arrayflow|root||5|7\n';

// ---------------------------------------------------------------------------------------------

function find(list: ElementStatus[], arrayJobId: string, index: number | null): ElementStatus {
  const s = list.find((x) => x.arrayJobId === arrayJobId && x.index === index);
  if (!s) throw new Error(`no status for ${arrayJobId}_${index}`);
  return s;
}

t.test('sbatchArgv submits with --parsable and never -Q', async (t) => {
  t.same(sbatchArgv('plan/scripts/0003.sbatch'), ['sbatch', '--parsable', 'plan/scripts/0003.sbatch']);
  t.notOk(sbatchArgv('x.sh').includes('-Q'));
  t.same(sbatchArgv('-weird.sh'), ['sbatch', '--parsable', './-weird.sh'], 'a leading dash is not an option');
  t.throws(() => sbatchArgv(''), SchedulerError);
  t.throws(() => sbatchArgv('a\nb'), SchedulerError);
});

t.test('parseSbatchOutput reads the job id and the optional cluster', async (t) => {
  t.same(parseSbatchOutput('313\n'), { jobId: '313' });
  t.same(parseSbatchOutput('313;arrayflow\n'), { jobId: '313', cluster: 'arrayflow' });
  t.throws(() => parseSbatchOutput(''), { name: 'SchedulerError', message: /-Q/ }, 'empty stdout is what -Q gives');
  t.throws(() => parseSbatchOutput('Submitted batch job 12\n'), { name: 'SchedulerError', message: /--parsable/ });
});

t.test('classifySbatchError: transient vs permanent, stderr quoted verbatim', async (t) => {
  for (const [name, stderr] of [
    ['controller unreachable', ERR.sbatchNoController],
    ['socket timeout', ERR_DOCUMENTED.socketTimeout],
    ['EAGAIN', ERR_DOCUMENTED.eagain],
    ['temporarily unable', ERR_DOCUMENTED.tempUnable],
    ['AssocMaxSubmitJobLimit', ERR_DOCUMENTED.assocSubmitLimit],
    ['QOSMaxSubmitJobPerUserLimit', ERR_DOCUMENTED.qosSubmitLimit],
    ['generic job submit limit', ERR_DOCUMENTED.genericPolicy],
  ] as const) {
    const e = classifySbatchError(stderr, 1, { script: 'plan/scripts/0003.sbatch' });
    t.equal(e.transient, true, `${name} is transient`);
    t.equal(e.code, 'E_SCHEDULER');
    t.ok(e.message.includes(stderr.trim()), `${name}: message quotes stderr`);
    t.match(e.message, /plan\/scripts\/0003\.sbatch/);
  }
  for (const [name, stderr, code] of [
    ['bad partition', ERR.badPartition, 1],
    ['array above MaxArraySize', ERR.badArray, 1],
    ['too much memory', ERR.badMem, 1],
    ['bad --time', ERR.badTime, 255],
    ['missing script', ERR.noScript, 1],
    ['a size limit (not a submit-count limit)', ERR_DOCUMENTED.qosCpuLimit, 1],
  ] as const) {
    const e = classifySbatchError(stderr, code);
    t.equal(e.transient, false, `${name} is permanent`);
    t.ok(e.message.includes(`"${stderr.trim()}"`), `${name}: message quotes stderr verbatim`);
    t.match(e.message, new RegExp(`exit ${code}`));
  }
  t.match(classifySbatchError(ERR.badPartition, 1, { script: 's.sbatch' }).message, /^sbatch rejected s\.sbatch \(exit 1\): ".*" — check executor\.resources\.partition/s);
  t.match(classifySbatchError(ERR.badArray, 1).message, /MaxArraySize/);
  const cause = new Error('execa');
  t.equal(classifySbatchError(ERR.badArray, 1, { cause }).cause, cause);
});

t.test('query errors: unknown job ids, transient controller/database failures', async (t) => {
  t.ok(isUnknownJobError(ERR.unknownJob));
  t.notOk(isUnknownJobError(ERR.squeueNoController));
  for (const [argv, stderr] of [
    [squeueArgv(['1']), ERR.squeueNoController],
    [scontrolConfigArgv(), ERR.scontrolNoController],
    [sacctArgv(['1']), ERR.sacctNoDbd],
  ] as const) {
    const e = classifyQueryError(argv, stderr, 1);
    t.equal(e.transient, true, `${argv[0]}: transient`);
    t.ok(e.message.startsWith(`${argv[0]} failed (exit 1): "`));
  }
  t.equal(classifyQueryError(['sacct'], 'sacct: error: Slurm accounting storage is disabled\n', 1).transient, false);
  t.match(classifyQueryError(['sacct'], 'sacct: error: Slurm accounting storage is disabled\n', 1).message, /MinJobAge/);
});

t.test('parseScontrolConfig reads limits and whether accounting works', async (t) => {
  t.same(scontrolConfigArgv(), ['scontrol', 'show', 'config']);
  t.same(parseScontrolConfig(SCONTROL_CONFIG), {
    accounting: true,
    limitsEnforced: false,
    maxArraySize: 100001,
    maxJobCount: 200000,
    minJobAge: 300,
    clusterName: 'arrayflow',
    version: '22.05.8',
  });
  const noAcct = SCONTROL_CONFIG.replace('accounting_storage/slurmdbd', 'accounting_storage/none').replace(
    'AccountingStorageEnforce = none',
    'AccountingStorageEnforce = associations,limits,qos',
  );
  t.match(parseScontrolConfig(noAcct), { accounting: false, limitsEnforced: true });
  t.throws(() => parseScontrolConfig(ERR.scontrolNoController), SchedulerError);
});

t.test('sacctmgr submit limits', async (t) => {
  t.same(sacctmgrLimitsArgv('alice'), [
    'sacctmgr', '-n', '-P', 'show', 'assoc', 'user=alice',
    'format=Cluster,Account,Partition,MaxSubmitJobs,GrpSubmitJobs',
  ]);
  t.throws(() => sacctmgrLimitsArgv('bob format=x'), SchedulerError);
  t.same(parseSacctmgrLimits(SACCTMGR_NO_LIMIT), {});
  t.same(parseSacctmgrLimits(''), {});
  t.same(parseSacctmgrLimits(SACCTMGR_LIMITS), { maxSubmitJobs: 5 });
  t.same(parseSacctmgrLimits(SACCTMGR_LIMITS + 'other|acct2||3|\n', { cluster: 'arrayflow' }), { maxSubmitJobs: 5 });
  t.same(parseSacctmgrLimits(SACCTMGR_LIMITS + 'arrayflow|acct2||3|\n'), { maxSubmitJobs: 3 }, 'smallest association wins');
  t.throws(() => parseSacctmgrLimits('garbage\n'), SchedulerError);
});

t.test('status argv: one call for all jobs, ids validated', async (t) => {
  t.same(sacctArgv(['332', '333', '333']), [
    'sacct', '-X', '-n', '-P', '-j', '332,333', '-o', 'JobID,JobIDRaw,State,ExitCode,Reason,NodeList',
  ]);
  t.same(squeueArgv(['332', '337_4']), ['squeue', '-h', '-t', 'all', '-j', '332,337_4', '-o', '%i|%A|%F|%K|%T|%r|%N']);
  t.same(squeueArgv(['332'], { expandPending: true }).slice(0, 3), ['squeue', '-h', '-r']);
  t.same(scancelArgv(['337', '338_1']), ['scancel', '337', '338_1']);
  for (const build of [sacctArgv, squeueArgv, scancelArgv]) {
    t.throws(() => build([]), SchedulerError, 'an empty id list would select every job');
    t.throws(() => build(['-u root']), SchedulerError);
    t.throws(() => build(['12,13']), SchedulerError);
  }
});

t.test('parseSqueueOutput on a live ensemble', async (t) => {
  const s = parseSqueueOutput(SQUEUE_RUNNING);
  t.equal(s.length, 17);
  t.match(find(s, '333', 3), { state: 'completed', rawJobId: '333', node: 'vm' });
  t.match(find(s, '333', 0), { state: 'completed', rawJobId: '339' });
  t.match(find(s, '336', null), { state: 'completed', rawJobId: '336' });
  t.match(find(s, '334', 1), { state: 'failed', reason: 'NonZeroExitCode' });
  t.equal(find(s, '334', 1).exitCode, undefined, 'squeue has no exit codes');
  t.match(find(s, '332', 0), { state: 'running', node: 'vm' });
  const rest = s.find((x) => x.arrayJobId === '337' && x.index === null);
  t.match(rest, { range: '4-99%4', state: 'pending', reason: 'JobArrayTaskLimit', rawState: 'PENDING' });
  t.equal(rest?.node, undefined);
  t.equal(rest?.rawJobId, undefined);
  t.equal(statusByIndex(s, '337').size, 100);
  t.equal(statusByIndex(s, '337').get(99)?.state, 'pending');
  t.equal(statusByIndex(s, '337').get(2)?.state, 'running');

  const r = parseSqueueOutput(SQUEUE_RUNNING_R);
  t.same(r.map((x) => x.index), [4, 5, 6, 7, 8, 9, 10, 11], '-r: one line per pending index');
  t.ok(r.every((x) => x.state === 'pending' && x.range === undefined && x.rawJobId === undefined), 'pending tasks have no id of their own yet');

  const six = parseSqueueOutput(SQUEUE_6_FIELDS);
  t.match(six, [{ arrayJobId: '316', index: 0, state: 'failed' }, { arrayJobId: '317', index: null, state: 'completed' }]);
  t.throws(() => parseSqueueOutput('1|2|3\n'), { name: 'SchedulerError', message: /cannot parse squeue line/ });
});

t.test('parseSacctOutput on a live ensemble', async (t) => {
  const s = parseSacctOutput(SACCT_RUNNING);
  t.equal(s.length, 17);
  t.match(find(s, '336', null), { state: 'completed', exitCode: 0, rawJobId: '336', node: 'vm' });
  t.match(find(s, '334', 2), { state: 'failed', exitCode: 3, rawJobId: '334' });
  t.equal(find(s, '334', 2).signal, undefined);
  t.match(find(s, '335', 0), { state: 'failed', exitCode: 0, signal: 9 });
  const running = find(s, '332', 1);
  t.match(running, { state: 'running', rawJobId: '332' });
  t.equal(running.exitCode, undefined, 'no exit code before the end');
  const rest = find(s, '337', null);
  t.match(rest, { range: '4-99%4', state: 'pending', reason: 'JobArrayTaskLimit' });
  t.equal(rest.node, undefined, '"None assigned" is no node');
  t.equal(rest.reason === 'None', false);
  t.equal(find(s, '333', 0).reason, undefined, '"None" is no reason');

  t.same(parseSacctOutput('315_1|315|FAILED|0:9|None|vm\n315_1.batch|315.batch|CANCELLED by 0|0:9||vm\n').length, 1, 'steps are skipped');
  t.throws(() => parseSacctOutput('337|COMPLETED\n'), SchedulerError);
  t.throws(() => parseSacctOutput('abc|1|COMPLETED|0:0|None|vm\n'), { message: /"abc" is not a job id/ });
});

t.test('cancelled arrays: whole array, one task, the stale sacct range', async (t) => {
  const one = parseSqueueOutput(SQUEUE_TASK_CANCELLED);
  t.match(find(one, '337', 1), { state: 'cancelled' });
  t.match(find(one, '337', 4), { state: 'running' });
  t.equal(one.find((x) => x.index === null)?.range, '5-99%4');

  const all = parseSqueueOutput(SQUEUE_CANCELLED);
  t.ok(all.every((x) => x.state === 'cancelled'));
  t.ok([...statusByIndex(all, '337').values()].every((x) => x.state === 'cancelled'));

  const acct = parseSacctOutput(SACCT_CANCELLED);
  t.match(find(acct, '337', 0), { state: 'cancelled', rawState: 'CANCELLED by 0', exitCode: 0 });
  // sacct keeps the range 4-99 although 337_4 has its own line: the explicit line wins.
  t.equal(find(acct, '337', null).range, '4-99%4');
  const byIndex = statusByIndex(acct, '337');
  t.equal(byIndex.size, 100);
  t.equal(byIndex.get(4)?.rawJobId, '349');
  t.match(byIndex.get(50), { index: 50, state: 'cancelled', range: '4-99%4' });
  t.equal(failureReason(byIndex.get(0) as ElementStatus), 'cancelled: the array element was cancelled before it finished (Slurm CANCELLED by 0)');
});

t.test('final states and readable failure reasons', async (t) => {
  const s = parseSacctOutput(SACCT_FINAL);
  t.ok(s.every((x) => isFinal(x.state)), 'everything ended');
  const reasons = new Map(s.map((x) => [`${x.arrayJobId}_${x.index ?? x.range ?? ''}`, failureReason(x)]));
  t.equal(reasons.get('333_0'), null);
  t.equal(reasons.get('336_'), null);
  t.equal(reasons.get('334_1'), 'exit code 3');
  t.equal(reasons.get('332_0'), 'timeout: the array element hit its time limit (Slurm TIMEOUT)');
  t.match(find(s, '332', 0), { exitCode: 0 }, 'TIMEOUT reads 0:0 in sacct -X');
  t.match(reasons.get('335_0'), /^killed by signal 9 \(SIGKILL\): .*memory/);
  t.match(failureReason(parseSacctOutput(SACCT_SIGTERM)[0]), /^killed by signal 15 \(SIGTERM\)$/);

  const q = parseSqueueOutput(SQUEUE_FINAL);
  t.match(find(q, '332', 1), { state: 'timeout', reason: 'TimeLimit' });
  t.match(find(q, '335', 0), { state: 'failed', reason: 'JobLaunchFailure' }, 'squeue reason of a killed script is misleading');
  t.match(failureReason(find(q, '335', 0)), /^failed: .*JobLaunchFailure/);
});

t.test('memory kills: FAILED 0:9 plus slurmstepd line', async (t) => {
  t.ok(detectMemoryKill(STDERR_MEMORY_KILL));
  t.notOk(detectMemoryKill(STDERR_TIMEOUT), 'a time-limit cancel is not a memory kill');
  t.notOk(detectMemoryKill('my sim: exceeded memory limit of the mesh cache\n'), 'only slurmstepd lines count');
  t.ok(detectMemoryKill('slurmstepd: error: Detected 1 oom-kill event(s) in StepId=12.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.\n'));
  const killed = find(parseSacctOutput(SACCT_FINAL), '335', 0);
  const oom = applyMemoryKill(killed, STDERR_MEMORY_KILL);
  t.equal(oom.state, 'out_of_memory');
  t.equal(oom.signal, 9);
  t.match(failureReason(oom), /^out of memory: .*\(Slurm FAILED\)$/);
  t.equal(applyMemoryKill(killed, STDERR_TIMEOUT), killed);
  const ok = find(parseSacctOutput(SACCT_FINAL), '333', 0);
  t.equal(applyMemoryKill(ok, STDERR_MEMORY_KILL).state, 'completed', 'only failed/cancelled are reinterpreted');
});

t.test('state table and ranges', async (t) => {
  t.equal(mapSlurmState('CANCELLED by 12345'), 'cancelled');
  t.equal(mapSlurmState('CANCELLED+'), 'cancelled');
  t.equal(mapSlurmState('OUT_OF_MEMORY'), 'out_of_memory');
  t.equal(mapSlurmState('NODE_FAIL'), 'node_fail');
  t.equal(mapSlurmState('PREEMPTED'), 'preempted');
  t.equal(mapSlurmState('BOOT_FAIL'), 'boot_fail');
  t.equal(mapSlurmState('DEADLINE'), 'deadline');
  t.equal(mapSlurmState('REQUEUED'), 'pending');
  t.equal(mapSlurmState('COMPLETING'), 'completing');
  t.equal(mapSlurmState('CG'), 'completing');
  t.equal(mapSlurmState('WHATEVER'), 'unknown');
  t.notOk(isFinal('unknown'));
  t.notOk(isFinal('completing'));
  t.ok(isFinal('preempted'));
  const base = { arrayJobId: '9', index: 1, rawState: '', scheduler: 'Slurm' } as const;
  t.match(failureReason({ ...base, state: 'node_fail', rawState: 'NODE_FAIL', node: 'n1' }), /^node failure: .* on n1 \(Slurm NODE_FAIL\)$/);
  t.match(failureReason({ ...base, state: 'preempted', rawState: 'PREEMPTED' }), /^preempted: /);
  t.match(failureReason({ ...base, state: 'boot_fail', rawState: 'BOOT_FAIL' }), /^boot failure: /);
  t.match(failureReason({ ...base, state: 'deadline', rawState: 'DEADLINE' }), /^deadline: /);
  t.match(failureReason({ ...base, state: 'out_of_memory', rawState: 'OUT_OF_MEMORY' }), /^out of memory: /);
  t.equal(failureReason({ ...base, state: 'running', rawState: 'RUNNING' }), null);

  t.same(expandArrayRange('4-9%4'), [4, 5, 6, 7, 8, 9]);
  t.same(expandArrayRange('1,3,5-7'), [1, 3, 5, 6, 7]);
  t.same(expandArrayRange('0-8:4'), [0, 4, 8]);
  t.same(expandArrayRange('[2-3]'), [2, 3]);
  t.throws(() => expandArrayRange('5-2'), SchedulerError);
  t.throws(() => expandArrayRange('a-b'), SchedulerError);
});

// ---------------------------------------------------------------------------------------------
// Live: the argv builders run for real (execa, no shell) against the test cluster.
// ---------------------------------------------------------------------------------------------

async function run(argv: string[], cwd?: string) {
  return execa(argv[0], argv.slice(1), { cwd, env: slurmEnv(), reject: false, timeout: 30_000 });
}

async function submit(script: string, cwd: string): Promise<string> {
  const r = await run(sbatchArgv(script), cwd);
  if (r.exitCode !== 0) throw classifySbatchError(String(r.stderr), r.exitCode ?? -1, { script });
  return parseSbatchOutput(String(r.stdout)).jobId;
}

/** Polls `query` every 0.2 s until `done` says yes (or `seconds` pass) and returns the last answer. */
async function poll<T>(seconds: number, query: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = await query();
    if (done(v) || Date.now() > end) return v;
    await sleep(200);
  }
}

t.test('live: submit, watch, cancel and account on the test cluster', { timeout: 180_000 }, async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;

  const node = process.execPath;
  const dir = t.testdir({
    'mixed.sh': '#!/bin/sh\n#SBATCH --array=0-2\n#SBATCH --time=1\n#SBATCH -o mixed_%a.out\n' +
      '[ "$SLURM_ARRAY_TASK_ID" = 1 ] && exit 3\nexit 0\n',
    // Holds up to 1 GB for 30 s; the 50 MB limit is enforced by polling about once a second.
    'mem.sh': `#!/bin/sh\n#SBATCH --array=0\n#SBATCH --time=1\n#SBATCH --mem=50M\n#SBATCH -o mem_%a.out\n#SBATCH -e mem_%a.err\n` +
      `'${node}' -e 'const a=[]; for (let i=0;i<100;i++) a.push(Buffer.alloc(10<<20,1)); setTimeout(()=>{},30000)'\n`,
    'cancel.sh': '#!/bin/sh\n#SBATCH --array=0-9%1\n#SBATCH --time=1\n#SBATCH -o /dev/null\nsleep 60\n',
  });

  const config = parseScontrolConfig(String((await run(scontrolConfigArgv())).stdout));
  t.ok((config.maxArraySize ?? 0) > 1, `MaxArraySize ${config.maxArraySize}`);
  t.equal(config.accounting, true);
  const limits = await run(sacctmgrLimitsArgv(userInfo().username));
  t.equal(limits.exitCode, 0, String(limits.stderr));
  t.doesNotThrow(() => parseSacctmgrLimits(String(limits.stdout)));

  const unknown = await run(squeueArgv(['67000000']));
  t.ok(unknown.exitCode !== 0 && isUnknownJobError(String(unknown.stderr)), 'squeue of one unknown id: exit 1 + "Invalid job id"');

  const mixed = await submit('mixed.sh', dir);
  const mem = await submit('mem.sh', dir);
  const cancel = await submit('cancel.sh', dir);
  t.match(mixed, /^[0-9]+$/);

  // The throttled array shows one running task and one pending-remainder line.
  const queued = await poll(
    30,
    async () => parseSqueueOutput(String((await run(squeueArgv([cancel]))).stdout)),
    (s) => s.some((x) => x.state === 'running'),
  );
  t.ok(queued.some((x) => x.state === 'running' && x.index !== null), 'a task runs');
  t.ok(queued.some((x) => x.index === null && x.state === 'pending' && /%1$/.test(x.range ?? '')), 'the rest is one pending range');
  const c = await run(scancelArgv([cancel]));
  t.equal(c.exitCode, 0, String(c.stderr));

  // sacct lags squeue by up to a few seconds: poll until every element is final.
  const allFinal = (s: ElementStatus[]) =>
    statusByIndex(s, mixed).size === 3 &&
    statusByIndex(s, mem).size === 1 &&
    statusByIndex(s, cancel).size === 10 &&
    s.every((x) => isFinal(x.state));
  const acct = await poll(60, async () => {
    const r = await run(sacctArgv([mixed, mem, cancel]));
    if (r.exitCode !== 0) throw classifyQueryError(sacctArgv([mixed, mem, cancel]), String(r.stderr), r.exitCode ?? -1);
    return parseSacctOutput(String(r.stdout));
  }, allFinal);
  t.ok(allFinal(acct), 'all elements final in sacct');

  const m = statusByIndex(acct, mixed);
  t.match(m.get(0), { state: 'completed', exitCode: 0 });
  t.match(m.get(1), { state: 'failed', exitCode: 3 });
  t.equal(failureReason(m.get(1) as ElementStatus), 'exit code 3');
  t.match(m.get(2), { state: 'completed' });

  const killed = statusByIndex(acct, mem).get(0) as ElementStatus;
  t.match(killed, { state: 'failed', signal: 9 }, 'over --mem without cgroups: FAILED 0:9');
  const stderr = await readFile(join(dir, 'mem_0.err'), 'utf8');
  t.ok(detectMemoryKill(stderr), 'stderr names the memory kill');
  t.equal(applyMemoryKill(killed, stderr).state, 'out_of_memory');

  const cancelled = [...statusByIndex(acct, cancel).values()];
  t.ok(cancelled.every((x) => x.state === 'cancelled'), 'every index of the cancelled array is cancelled');
  t.match(cancelled[0]?.rawState, /^CANCELLED by [0-9]+$/);
});
