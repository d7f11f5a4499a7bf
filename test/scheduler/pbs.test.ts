// Tests for src/scheduler/pbs.ts: parsers on the PBS Pro / Torque / Slurm-wrapper outputs in test/fixtures/pbs (see its README), plus a live look at Slurm's qsub/qstat.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import {
  applyPbsKill,
  arrayIdOf,
  classifyQsubError,
  classifyQueryError,
  expandPbsRange,
  isUnknownJobError,
  mapPbsState,
  parsePbsJobId,
  parseQmgrServer,
  parseQselectOutput,
  parseQstatFull,
  parseQstatJson,
  parseQsubOutput,
  parseSlurmWrapperQstat,
  parseUnknownJobIds,
  pbsMem,
  pbsStatusByIndex,
  pbsWalltime,
  qdelArgv,
  qselectArgv,
  qstatProArgv,
  qstatSlurmWrapperArgv,
  qstatTorqueArgv,
  qsubArgv,
  stateFromExit,
  subjobId,
} from '../../src/scheduler/pbs.js';
import { type ElementStatus, failureReason } from '../../src/scheduler/types.js';
import { packageRoot } from '../../src/util/paths.js';
import { requireSlurm, slurmEnv } from '../helpers/slurm.js';

const fixture = (name: string) => readFileSync(join(packageRoot, 'test', 'fixtures', 'pbs', name), 'utf8');

/** index -> [state, failure reason] of one job, for compact assertions. */
function summary(statuses: ElementStatus[], jobId: string): Record<number, [string, string | null]> {
  return Object.fromEntries([...pbsStatusByIndex(statuses, jobId)].sort(([a], [b]) => a - b).map(([i, s]) => [i, [s.state, failureReason(s)]]));
}

t.test('job ids: PBS Pro, Torque and Slurm-wrapper forms', async (t) => {
  t.same(parsePbsJobId('4711[].pbs01'), { seq: '4711', array: true, index: null, suffix: '.pbs01' });
  t.same(parsePbsJobId('812[3].torque01.cluster'), { seq: '812', array: true, index: 3, suffix: '.torque01.cluster' });
  t.same(parsePbsJobId('485'), { seq: '485', array: false, index: null, suffix: '' });
  t.equal(arrayIdOf('812[3].torque01.cluster'), '812[].torque01.cluster');
  t.equal(subjobId('4711[].pbs01', 7), '4711[7].pbs01');
  t.equal(subjobId('4712.pbs01', 0), '4712.pbs01', 'a plain job is its own element 0');
  t.throws(() => parsePbsJobId('4711_3'), { name: 'SchedulerError', message: /not a PBS job id/ });
  t.throws(() => qdelArgv([]), { message: /refusing/ });
  t.same(qdelArgv(['4711[].pbs01', '4711[].pbs01', '4712.pbs01']), ['qdel', '4711[].pbs01', '4712.pbs01']);
});

t.test('qsub: argv, the id it prints, and its errors quoted verbatim', async (t) => {
  t.same(qsubArgv('/e/plan/scripts/chunk-0000.pbs'), ['qsub', '/e/plan/scripts/chunk-0000.pbs']);
  t.same(qsubArgv('-x.pbs', { stdout: '/e/l/a.out', stderr: '/e/l/a.err' }), ['qsub', '-o', '/e/l/a.out', '-e', '/e/l/a.err', './-x.pbs']);
  t.throws(() => qsubArgv('/e/$(rm -rf ~)/s.pbs', { viaShell: true }), { message: /through a shell unquoted/ });
  t.throws(() => qsubArgv('/e/a\nb.pbs'), { message: /line break/ });

  t.equal(parseQsubOutput('4711[].pbs01\n'), '4711[].pbs01', 'PBS Pro array');
  t.equal(parseQsubOutput('4712.pbs01\n'), '4712.pbs01', 'PBS Pro job');
  t.equal(parseQsubOutput('812[].torque01.cluster\n'), '812[].torque01.cluster', 'Torque array');
  t.equal(parseQsubOutput('485\n'), '485', "Slurm's wrapper prints the bare id, arrays too");
  t.throws(() => parseQsubOutput(''), { message: /stdout was empty/ });
  t.throws(() => parseQsubOutput('qsub: submitted\n'), { message: /printed no job id/ });

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

t.test('state letters and exit statuses', async (t) => {
  const pro: Record<string, string> = { Q: 'pending', H: 'pending', W: 'pending', T: 'pending', M: 'unknown', R: 'running', B: 'running', S: 'running', U: 'running', E: 'completing', F: 'completed', X: 'completed', C: 'unknown' };
  const torque: Record<string, string> = { Q: 'pending', H: 'pending', W: 'pending', T: 'pending', R: 'running', S: 'running', E: 'completing', C: 'completed', F: 'unknown', X: 'unknown', B: 'unknown' };
  const wrapper: Record<string, string> = { Q: 'pending', R: 'running', S: 'running', C: 'completed', U: 'unknown' };
  for (const [flavour, table] of [['pro', pro], ['torque', torque], ['slurm-wrapper', wrapper]] as const) {
    for (const [letter, state] of Object.entries(table)) t.equal(mapPbsState(letter, flavour), state, `${flavour} ${letter}`);
  }
  t.same(stateFromExit('pro', 0), { state: 'completed', exitCode: 0 });
  t.same(stateFromExit('pro', 3), { state: 'failed', exitCode: 3 });
  t.same(stateFromExit('pro', 143), { state: 'failed', exitCode: 143 }, 'the shell saw a child die of SIGTERM: still an exit code');
  t.same(stateFromExit('pro', 271), { state: 'failed', signal: 15 }, '256 + 15: PBS killed the job with SIGTERM');
  t.same(stateFromExit('torque', 265), { state: 'failed', signal: 9 });
  t.match(stateFromExit('pro', -29), { state: 'timeout', reason: /JOB_EXEC_KILL_WALLTIME/ });
  t.match(stateFromExit('pro', -27), { state: 'out_of_memory', reason: /JOB_EXEC_KILL_MEM/ });
  t.match(stateFromExit('pro', -11), { state: 'failed', reason: /PBS exit status -11/ }, 'on PBS Pro -11 is JOB_EXEC_RERUN, not a walltime');
  t.match(stateFromExit('torque', -11), { state: 'timeout', reason: /JOB_EXEC_OVERLIMIT_WT/ });
  t.match(stateFromExit('torque', -10), { state: 'out_of_memory' });
  t.match(stateFromExit('pro', -20), { state: 'node_fail' });
  t.match(stateFromExit('pro', undefined), { state: 'cancelled' });
});

t.test('PBS Pro: qstat -f -F json -x -t', async (t) => {
  t.same(qstatProArgv(['4711[].pbs01', '4712.pbs01']), ['qstat', '-f', '-F', 'json', '-x', '-t', '4711[].pbs01', '4712.pbs01']);
  const statuses = parseQstatJson(fixture('pbspro-qstat-f-json-t-x.json'));
  t.same(summary(statuses, '4711[].pbs01'), {
    0: ['completed', null],
    1: ['failed', 'exit code 3'],
    2: ['failed', 'killed by signal 15 (SIGTERM)'],
    3: ['running', null],
    4: ['pending', null],
    5: ['pending', null],
  });
  const byIndex = pbsStatusByIndex(statuses, '4711[].pbs01.example.org');
  t.equal(byIndex.size, 6, 'a fully qualified server name matches the short one');
  t.equal(byIndex.get(3)?.node, 'node018+node019');
  t.equal(byIndex.get(4)?.reason, 'Not Running: Number of concurrent running subjobs limit reached');
  t.match(summary(statuses, '4712.pbs01'), { 0: ['timeout', /^timeout: .*\(PBS F\)$/] }, 'a plain job is element 0; -29 is a walltime kill');
  // the array's own entry alone (no -t): its queued remainder as a range
  const parentOnly = statuses.filter((s) => s.range !== undefined);
  t.same([...pbsStatusByIndex(parentOnly, '4711[].pbs01').keys()], [4, 5]);

  t.same(parseQstatJson(fixture('pbspro-qstat-f-json-nojobs.json')), [], 'no job matched: only the prolog');
  t.same(parseQstatJson(''), []);
  // invalid JSON that releases before OpenPBS 20 printed (issue #1255): read what we need anyway
  t.match(summary(parseQstatJson(fixture('pbspro-qstat-f-json-invalid.json')), '53.pbs01'), { 0: ['failed', 'killed by signal 9 (SIGKILL)'] });
  t.throws(() => parseQstatJson('qstat: error\n'), { message: /not JSON/ });
});

t.test('Torque: qstat -f -t', async (t) => {
  t.same(qstatTorqueArgv(['812[].torque01.cluster']), ['qstat', '-f', '-t', '812[].torque01.cluster']);
  const statuses = parseQstatFull(fixture('torque-qstat-f-t.txt'), 'torque');
  t.same(summary(statuses, '812[].torque01.cluster'), {
    0: ['completed', null],
    1: ['timeout', 'timeout: the array element hit its time limit (PBS C)'],
    2: ['failed', 'killed by signal 9 (SIGKILL): if the job asked for memory, check its stderr for an over-memory kill'],
    3: ['running', null],
    4: ['pending', null],
    5: ['cancelled', 'cancelled: the array element was cancelled before it finished (PBS C)'],
  });
  t.equal(statuses[3].node, 'n032');
});

t.test("Slurm's qstat wrapper (recorded): no task ids, no exit codes — unusable for array elements", async (t) => {
  t.same(qstatSlurmWrapperArgv(['485']), ['qstat', '-f', '485']);
  // qstat -f 485 486: only the jobs whose own Slurm id is 485/486, i.e. the pending remainder and the plain job
  const byId = parseSlurmWrapperQstat(fixture('slurm-wrapper-qstat-f.txt'));
  t.same(byId.map((s) => [s.rawJobId, s.index, s.rawState, s.state]), [['486', null, 'C', 'completed'], ['485', null, 'Q', 'pending']]);
  // the started tasks come under their own ids, with no way to tell which index each one is
  const raw = parseSlurmWrapperQstat(fixture('slurm-wrapper-qstat-f-raw.txt'));
  t.same(raw.map((s) => `${s.rawJobId}:${s.rawState}`), ['487:C', '488:C', '489:R', '490:R', '485:Q']);
  t.ok(raw.every((s) => s.index === null && s.exitCode === undefined), 'exit 0 (487) and exit 3 (488) both read C');
  t.match(fixture('slurm-wrapper-squeue.txt'), /485_1\|488\|485\|1\|FAILED/, 'squeue knows what qstat does not');
  t.match(fixture('slurm-wrapper-qstat.txt'), /^485 +af-fixture-mix +root +00:00:00 Q debug/m);
});

t.test('pending ranges, unknown jobs, query errors', async (t) => {
  t.same(expandPbsRange('4-5'), [4, 5]);
  t.same(expandPbsRange('0-6:3,9%2'), [0, 3, 6, 9]);
  t.throws(() => expandPbsRange('a-b'));
  t.ok(isUnknownJobError('qstat: Unknown Job Id 4711[].pbs01'));
  t.ok(isUnknownJobError('qstat: Unknown Job Id Error 812.torque01'));
  t.ok(isUnknownJobError('qstat: 4712.pbs01 Job has finished, use -x or -H to obtain historical job information'));
  t.notOk(isUnknownJobError('Connection refused'));
  t.same(parseUnknownJobIds('qstat: Unknown Job Id 4711[].pbs01\nqstat: Unknown Job Id Error 812.torque01\nqstat: 4712.pbs01 Job has finished, use -x or -H to obtain historical job information\n'),
    ['4711[].pbs01', '812.torque01', '4712.pbs01']);
  t.ok(classifyQueryError(['qstat'], 'pbs_iff: cannot connect to host', 15010).transient);
  t.notOk(classifyQueryError(['qstat'], 'qstat: illegal -F value', 2).transient);
});

t.test('qselect finds jobs by name; qmgr gives the limits', async (t) => {
  t.same(qselectArgv('pro', 'af-sweep-k3x9q2-0000'), ['qselect', '-x', '-N', 'af-sweep-k3x9q2-0000']);
  t.same(qselectArgv('torque', 'af-sweep-k3x9q2-0000'), ['qselect', '-N', 'af-sweep-k3x9q2-0000']);
  t.throws(() => qselectArgv('pro', 'a b'));
  t.same(parseQselectOutput('4711[].pbs01\n4713.pbs01\n'), ['4711[].pbs01', '4713.pbs01']);
  t.same(parseQselectOutput('812[0].torque01\n812[1].torque01\n'), ['812[].torque01'], 'subjobs fold into their array');

  const pro = fixture('pbspro-qmgr-print-server.txt');
  t.same(parseQmgrServer(pro), { defaultQueue: 'workq', maxArraySize: 5000, maxQueued: 2000 }, 'the default queue\'s smaller max_array_size wins');
  t.same(parseQmgrServer(pro, { queue: 'debug' }), { defaultQueue: 'workq', maxArraySize: 10000, maxQueued: 2000 });
  t.same(parseQmgrServer(fixture('torque-qmgr-print-server.txt')), { defaultQueue: 'batch', maxArraySize: 1000, maxQueued: 3000, maxSlotLimit: 50 });
  t.same(parseQmgrServer('set server max_queued = [u:alice=50],[u:PBS_GENERIC=200]\n', { user: 'alice' }).maxQueued, 50);
  t.throws(() => parseQmgrServer('qmgr: Unauthorized Request\n'), { message: /printed no configuration/ });
});

t.test('walltime and memory in PBS units; kills named on stderr', async (t) => {
  const times: Record<string, string> = { '10': '00:10:00', '90': '01:30:00', '5:30': '00:05:30', '02:00:00': '02:00:00', '1-0': '24:00:00', '2-03:04': '51:04:00', '1-02:30:15': '26:30:15' };
  for (const [slurm, walltime] of Object.entries(times)) t.equal(pbsWalltime(slurm), walltime, slurm);
  t.throws(() => pbsWalltime('UNLIMITED'), { message: /executor\.resources\.time "UNLIMITED"/ });
  t.throws(() => pbsWalltime('0'), { message: /longer than zero/ });
  const mems: Record<string, string> = { '500': '500mb', '500M': '500mb', '2G': '2gb', '2gb': '2gb', '1.5G': '1536mb', '512K': '512kb', '1T': '1tb', '0.3M': '308kb' };
  for (const [slurm, size] of Object.entries(mems)) t.equal(pbsMem(slurm), size, slurm);
  t.throws(() => pbsMem('lots'), { message: /not a memory size/ });

  const failed: ElementStatus = { arrayJobId: '4711[].pbs01', index: 2, state: 'failed', rawState: 'X', signal: 15, scheduler: 'PBS' };
  t.equal(applyPbsKill(failed, 'starting\n=>> PBS: job killed: walltime 152 exceeded limit 120\n').state, 'timeout');
  t.equal(applyPbsKill(failed, '=>> PBS: job killed: mem 2098176kb exceeded limit 1048576kb\n').state, 'out_of_memory');
  t.equal(applyPbsKill(failed, 'my sim says: PBS: job killed: walltime 1 exceeded limit 0\n').state, 'failed', 'only the MoM\'s own line counts');
  t.equal(applyPbsKill({ ...failed, state: 'completed' }, '=>> PBS: job killed: walltime 1 exceeded limit 0\n').state, 'completed');
});

t.test("live: Slurm's qsub takes #PBS -J and prints the bare id; its qstat names no array tasks", async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  const script = join(dir, 'probe.pbs');
  writeFileSync(script, '#!/bin/bash\n#PBS -N af-probe\n#PBS -J 0-1\ntrue\n');
  const env = slurmEnv();
  const sub = await execa('qsub', qsubArgv(script, { stdout: join(dir, 'o-%A_%a'), stderr: join(dir, 'e-%A_%a'), viaShell: true }).slice(1), { env, reject: false });
  t.equal(sub.exitCode, 0, String(sub.stdout));
  const id = parseQsubOutput(String(sub.stdout));
  t.match(id, /^[0-9]+$/);
  const q = await execa('qstat', qstatSlurmWrapperArgv([id]).slice(1), { env, reject: false });
  t.ok(q.exitCode === 0 || q.exitCode === 153, `qstat exits 0, or 153 once the id is gone (exit ${q.exitCode})`);
  t.ok(parseSlurmWrapperQstat(String(q.stdout)).every((s) => s.index === null));
  const del = await execa('qdel', qdelArgv([id]).slice(1), { env, reject: false });
  t.ok(del.exitCode === 0 || del.exitCode === 1, 'qdel of an array id (1 when it already ended)');
});
