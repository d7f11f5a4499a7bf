// Tests for src/scheduler/slurm/parse-status.ts: squeue/sacct parsers on a live ensemble, the state table, ranges.
import t from 'tap';
import { SchedulerError } from '../../../src/errors.js';
import { expandArrayRange, mapSlurmState, parseSacctOutput, parseSqueueOutput, statusByIndex } from '../../../src/scheduler/slurm/parse-status.js';
import { type ElementStatus, failureReason, isFinal } from '../../../src/scheduler/types.js';
import { SQUEUE_RUNNING, SQUEUE_RUNNING_R, SACCT_RUNNING, SQUEUE_TASK_CANCELLED, SQUEUE_CANCELLED, SACCT_CANCELLED, SQUEUE_6_FIELDS, find } from '../../fixtures/slurm/outputs.js';

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
