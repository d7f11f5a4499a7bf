// Tests for src/scheduler/slurm/parse-status.ts: squeue/sacct parsers on a live ensemble (states, ids, times), the state table, ranges.
import t from 'tap';
import { SchedulerError } from '../../../src/errors.js';
import { expandArrayRange, mapSlurmState, parseSacctOutput, parseSlurmEpoch, parseSqueueOutput, statusByIndex } from '../../../src/scheduler/slurm/parse-status.js';
import { type ElementStatus, failureReason, isFinal } from '../../../src/scheduler/types.js';
import { JOB, SQUEUE_RUNNING, SQUEUE_RUNNING_R, SACCT_RUNNING, SACCT_FINAL, SQUEUE_FINAL, SQUEUE_TASK_CANCELLED, SQUEUE_CANCELLED, SACCT_CANCELLED, SQUEUE_6_FIELDS, find } from '../../fixtures/slurm/outputs.js';

const { timeout, ok, exit3, oom, plain, big } = JOB;
/** A Slurm time as the status queries print it (seconds since the epoch) in ISO-8601 UTC, as the parsers give it. */
const at = (epoch: number) => new Date(epoch * 1000).toISOString();

t.test('parseSqueueOutput on a live ensemble', async (t) => {
  const s = parseSqueueOutput(SQUEUE_RUNNING);
  t.equal(s.length, 17);
  t.match(find(s, ok, 3), { state: 'completed', rawJobId: ok, node: 'vm' }, 'the task that starts last takes the array\'s id');
  t.match(find(s, ok, 0), { state: 'completed', rawJobId: /^[0-9]+$/ });
  t.not(find(s, ok, 0).rawJobId, ok);
  t.match(find(s, plain, null), { state: 'completed', rawJobId: plain });
  t.match(find(s, exit3, 1), { state: 'failed', reason: 'NonZeroExitCode' });
  t.equal(find(s, exit3, 1).exitCode, undefined, 'squeue has no exit codes');
  t.match(find(s, timeout, 0), { state: 'running', node: 'vm' });
  const rest = s.find((x) => x.arrayJobId === big && x.index === null);
  t.match(rest, { range: '4-99%4', state: 'pending', reason: 'JobArrayTaskLimit', rawState: 'PENDING' });
  t.equal(rest?.node, undefined);
  t.equal(rest?.rawJobId, undefined);
  t.equal(statusByIndex(s, big).size, 100);
  t.equal(statusByIndex(s, big).get(99)?.state, 'pending');
  t.equal(statusByIndex(s, big).get(2)?.state, 'running');

  const r = parseSqueueOutput(SQUEUE_RUNNING_R);
  t.same(r.map((x) => x.index), [4, 5, 6, 7, 8, 9, 10, 11], '-r: one line per pending index');
  t.ok(r.every((x) => x.state === 'pending' && x.range === undefined && x.rawJobId === undefined), 'pending tasks have no id of their own yet');

  const six = parseSqueueOutput(SQUEUE_6_FIELDS);
  t.match(six, [{ arrayJobId: '316', index: 0, state: 'failed' }, { arrayJobId: '317', index: null, state: 'completed' }]);
  t.throws(() => parseSqueueOutput('1|2|3\n'), { name: 'SchedulerError', message: /cannot parse squeue line/ });
});

t.test('squeue %S/%e: the start once the element left the queue, the end once it is final', async (t) => {
  const s = parseSqueueOutput(SQUEUE_RUNNING);
  t.match(find(s, oom, 0), { state: 'failed', start: at(1796411378), end: at(1796411379) });
  const running = find(s, timeout, 0);
  t.equal(running.start, at(1796411378));
  t.equal(running.end, undefined, 'a running element\'s %e is its expected end (start + time limit): not taken');
  t.equal(find(s, big, 0).end, undefined, 'NONE: no time limit');
  const rest = s.find((x) => x.arrayJobId === big && x.index === null);
  t.equal(rest?.start, undefined, 'a pending range: N/A');
  t.equal(rest?.end, undefined);
  t.match(find(parseSqueueOutput(SQUEUE_FINAL), timeout, 1), { state: 'timeout', start: at(1796411378), end: at(1796411442) });
  t.equal(parseSqueueOutput(SQUEUE_6_FIELDS)[0].end, undefined, 'a format without times');
});

t.test('parseSacctOutput on a live ensemble', async (t) => {
  const s = parseSacctOutput(SACCT_RUNNING);
  t.equal(s.length, 17);
  t.match(find(s, plain, null), { state: 'completed', exitCode: 0, rawJobId: plain, node: 'vm' });
  t.match(find(s, exit3, 2), { state: 'failed', exitCode: 3, rawJobId: exit3 });
  t.equal(find(s, exit3, 2).signal, undefined);
  t.match(find(s, oom, 0), { state: 'failed', exitCode: 0, signal: 9 });
  const running = find(s, timeout, 1);
  t.match(running, { state: 'running', rawJobId: timeout, start: at(1796411378) });
  t.equal(running.exitCode, undefined, 'no exit code before the end');
  t.equal(running.end, undefined, 'End "Unknown" while it runs');
  const rest = find(s, big, null);
  t.match(rest, { range: '4-99%4', state: 'pending', reason: 'JobArrayTaskLimit' });
  t.equal(rest.node, undefined, '"None assigned" is no node');
  t.equal(rest.start, undefined, 'Start "Unknown" while pending');
  t.equal(rest.reason === 'None', false);
  t.equal(find(s, ok, 0).reason, undefined, '"None" is no reason');

  const final = find(parseSacctOutput(SACCT_FINAL), timeout, 0);
  t.match(final, { state: 'timeout', start: at(1796411378), end: at(1796411442) });
  t.ok(Date.parse(final.end as string) - Date.parse(final.start as string) >= 60_000, 'a timed-out element ran at least its limit (--time=1)');

  const step = '315_1.batch|315.batch|CANCELLED by 0|0:9||vm|1796411378|1796411379';
  t.same(parseSacctOutput(`315_1|315|FAILED|0:9|None|vm|1796411378|1796411379\n${step}\n`).length, 1, 'steps are skipped');
  t.throws(() => parseSacctOutput('337|COMPLETED\n'), SchedulerError);
  t.throws(() => parseSacctOutput('abc|1|COMPLETED|0:0|None|vm|None|None\n'), { message: /"abc" is not a job id/ });
});

t.test('parseSlurmEpoch: epoch seconds as UTC; the words for none, and any other text, are undefined', async (t) => {
  t.equal(parseSlurmEpoch('1796411378'), '2026-12-04T19:09:38.000Z');
  t.equal(parseSlurmEpoch(' 1796411442\n'), '2026-12-04T19:10:42.000Z');
  for (const none of ['Unknown', 'None', 'NONE', 'N/A', '', undefined, '0', '-1', '1.5', '1e9', '0x10', '9999999999999']) t.equal(parseSlurmEpoch(none), undefined, String(none));
  // Slurm's default format (local time without a zone) names no instant: it is not guessed
  t.equal(parseSlurmEpoch('2026-12-04T19:09:38'), undefined, 'the default format');
});

t.test('cancelled arrays: whole array, one task, the stale sacct range', async (t) => {
  const one = parseSqueueOutput(SQUEUE_TASK_CANCELLED);
  t.match(find(one, big, 1), { state: 'cancelled' });
  t.match(find(one, big, 4), { state: 'running' });
  t.equal(one.find((x) => x.index === null)?.range, '5-99%4');

  const all = parseSqueueOutput(SQUEUE_CANCELLED);
  t.ok(all.every((x) => x.state === 'cancelled'));
  t.ok([...statusByIndex(all, big).values()].every((x) => x.state === 'cancelled'));

  const acct = parseSacctOutput(SACCT_CANCELLED);
  t.match(find(acct, big, 0), { state: 'cancelled', rawState: 'CANCELLED by 0', exitCode: 0 });
  // sacct keeps the range 4-99 although the started element 4 has its own line: the explicit line wins.
  t.equal(find(acct, big, null).range, '4-99%4');
  const byIndex = statusByIndex(acct, big);
  t.equal(byIndex.size, 100);
  t.match(byIndex.get(4), { rawJobId: /^[0-9]+$/, start: at(1796411383), end: at(1796411384) });
  t.match(byIndex.get(50), { index: 50, state: 'cancelled', range: '4-99%4', end: at(1796411384) });
  t.equal(byIndex.get(50)?.start, undefined, 'never started (Start "None"): only the end, when it was cancelled');
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
