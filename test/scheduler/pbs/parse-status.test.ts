// Tests for src/scheduler/pbs/parse-status.ts: qstat answers of PBS Pro, Torque and Slurm's wrapper (test/fixtures/pbs, see its README), pending ranges.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/util/paths.js';
import { qstatProArgv, qstatSlurmWrapperArgv, qstatTorqueArgv } from '../../../src/scheduler/pbs/argv.js';
import { expandPbsRange, parseQstatFull, parseQstatJson, parseSlurmWrapperQstat, pbsStatusByIndex } from '../../../src/scheduler/pbs/parse-status.js';
import { type ElementStatus, failureReason } from '../../../src/scheduler/types.js';

const fixture = (name: string) => readFileSync(join(packageRoot, 'test', 'fixtures', 'pbs', name), 'utf8');

/** index -> [state, failure reason] of one job, for compact assertions. */
function summary(statuses: ElementStatus[], jobId: string): Record<number, [string, string | null]> {
  return Object.fromEntries([...pbsStatusByIndex(statuses, jobId)].sort(([a], [b]) => a - b).map(([i, s]) => [i, [s.state, failureReason(s)]]));
}

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
  t.match(summary(statuses, '4712.pbs01'), { 0: ['timeout', /^timeout: .*\(PBS F\); give it more with executor\.resources\.time/] }, 'a plain job is element 0; -29 is a walltime kill');
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
    1: ['timeout', 'timeout: the array element hit its time limit (PBS C); give it more with executor.resources.time (an element runs its whole bundle within it), or each retry more with executor.retry_scale.time'],
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

t.test('pending ranges', async (t) => {
  t.same(expandPbsRange('4-5'), [4, 5]);
  t.same(expandPbsRange('0-6:3,9%2'), [0, 3, 6, 9]);
  t.throws(() => expandPbsRange('a-b'));
});
