// schedulerRecord: the failed record written for a task whose array element ended without one: stderr tail, signal, times.
import t from 'tap';
import { NEVER_STARTED, elementTimes, linesSince, schedulerRecord, taskBegan } from '../../src/executor/verdict.js';
import type { TaskRecord } from '../../src/records/record.js';
import { parseSacctOutput, parseSqueueOutput, statusByIndex } from '../../src/scheduler/slurm/parse-status.js';
import type { ElementStatus } from '../../src/scheduler/types.js';
import { JOB, SACCT_CANCELLED, SACCT_FINAL, find } from '../fixtures/slurm/outputs.js';

const sub = { label: '0000', jobId: '41', offset: 0, count: 2, attempt: 1 };
const oom: ElementStatus = { arrayJobId: '41', index: 1, state: 'failed', rawState: 'OUT_OF_MEMORY', scheduler: 'slurm' };
const log = 'starting task 3\nslurmstepd: error: Detected 1 oom_kill event in StepId=41_1.batch.\n';

t.test('the stderr tail is the end of the element\'s job log, or the task\'s own when it wrote one', async (t) => {
  const rec = schedulerRecord(3, sub, oom, 'out of memory: the array element exceeded its memory limit', null, 'slurm', log);
  t.match(rec, { task: 3, attempt: 1, status: 'failed', source: 'scheduler', job_id: '41_1' });
  t.equal(rec.stderr_tail, 'starting task 3\nslurmstepd: error: Detected 1 oom_kill event in StepId=41_1.batch.');
  const own = { ...rec, source: 'wrapper', reason: 'terminated: …', stderr_tail: 'the simulation said this' } as TaskRecord;
  t.equal(schedulerRecord(3, sub, oom, null, own, 'slurm', log).stderr_tail, 'the simulation said this');
  t.equal(schedulerRecord(3, sub, { ...oom, state: 'unknown' }, null, null, 'slurm').stderr_tail, '', 'no log read: an empty tail');
});

t.test('an element a signal ended (sacct ExitCode 0:9, an out-of-memory kill): the signal, and no exit code', async (t) => {
  const killed = schedulerRecord(3, sub, { ...oom, exitCode: 0, signal: 9 }, 'out of memory: …', null, 'slurm');
  t.match(killed, { exit_code: null, signal: 'SIGKILL' });
  t.match(schedulerRecord(3, sub, { ...oom, exitCode: 0, signal: 31 }, null, null, 'slurm'), { exit_code: null, signal: '31' });
  t.match(schedulerRecord(3, sub, { ...oom, state: 'failed', exitCode: 1 }, null, null, 'slurm'), { exit_code: 1, signal: null }, 'an exit status without a signal');
  const own = { ...killed, source: 'wrapper', exit_code: 137, signal: null } as TaskRecord;
  t.match(schedulerRecord(3, sub, { ...oom, exitCode: 0, signal: 9 }, null, own, 'slurm'), { exit_code: 137, signal: null }, 'the task\'s own record of this attempt wins');
});

t.test('elementTimes on recorded sacct answers: the first task has the element\'s start and end, the others its end', async (t) => {
  const timedOut = find(parseSacctOutput(SACCT_FINAL), JOB.timeout, 0);
  const first = elementTimes(timedOut, 'first');
  t.match(first, { start: timedOut.start, end: timedOut.end, times: 'element' });
  t.ok(first.duration_s >= 60 && first.duration_s < 120, `ran about its limit of 60 s (${first.duration_s} s)`);
  t.match(elementTimes(timedOut, 'unknown'), { start: timedOut.end, end: timedOut.end, duration_s: 0, times: 'element_end' }, 'a later task of a bundle: maybe never started');
  const neverStarted = statusByIndex(parseSacctOutput(SACCT_CANCELLED), JOB.big).get(50) as ElementStatus;
  t.match(elementTimes(neverStarted, 'first'), { start: neverStarted.end, end: neverStarted.end, duration_s: 0, times: 'element_end' }, 'cancelled while pending: the cancel\'s time');
  const now = new Date();
  const stateOnly = find(parseSqueueOutput(`${JOB.timeout}_0|TIMEOUT\n`), JOB.timeout, 0);
  t.same(elementTimes(stateOnly, 'first', now), { start: now.toISOString(), end: now.toISOString(), duration_s: 0, times: 'noticed' }, 'no times in the answer');
  const ahead = { ...timedOut, end: new Date(now.getTime() + 3_600_000).toISOString() };
  t.equal(elementTimes(ahead, 'first', now).times, 'noticed', 'an end an hour ahead of this clock (a cluster clock running ahead) is not believed');
});

t.test('schedulerRecord: the element\'s times without a record of its own, the task\'s with one', async (t) => {
  const timedOut = find(parseSacctOutput(SACCT_FINAL), JOB.timeout, 1);
  const s = { ...sub, jobId: JOB.timeout };
  const rec = schedulerRecord(3, s, timedOut, 'timeout: …', null, 'Slurm', '', 'first');
  t.match(rec, { start: timedOut.start, end: timedOut.end, times: 'element', source: 'scheduler', job_id: `${JOB.timeout}_1` });
  t.ok(rec.duration_s >= 60);
  t.match(schedulerRecord(4, s, timedOut, 'timeout: …', null, 'Slurm'), { start: timedOut.end, duration_s: 0, times: 'element_end' });
  const own = { ...rec, source: 'wrapper', times: undefined, reason: 'terminated: …', start: '2026-12-04T18:45:40.000Z', duration_s: 61 } as TaskRecord;
  const kept = schedulerRecord(3, s, timedOut, 'timeout: …', own, 'Slurm', '', 'first');
  t.match(kept, { start: own.start, duration_s: 61 }, 'its own start (after staging, or later in a bundle) wins over the element\'s');
  t.equal(kept.times, undefined);
});

t.test('with start lines: the task that was running has its own start and the element\'s end, one never started says so', async (t) => {
  const timedOut = find(parseSacctOutput(SACCT_FINAL), JOB.timeout, 1);
  const s = { ...sub, jobId: JOB.timeout };
  const end = Date.parse(timedOut.end as string);
  const at = new Date(end - 42_000).toISOString();
  const starts = new Map([[3, at]]);
  t.same(taskBegan(starts, 3, false), { at });
  t.equal(taskBegan(starts, 4, true), 'never', 'not noted: never started, even as the first of its slice');
  t.equal(taskBegan(null, 3, true), 'first', 'no start lines: what the slice order says');
  t.equal(taskBegan(null, 4, false), 'unknown');

  const running = schedulerRecord(3, s, timedOut, 'timeout: …', null, 'Slurm', '', taskBegan(starts, 3, false));
  t.match(running, { start: at, end: timedOut.end, duration_s: 42, times: 'task_start', reason: 'timeout: …' });
  const never = schedulerRecord(4, s, timedOut, 'timeout: …', null, 'Slurm', '', 'never');
  t.match(never, { start: timedOut.end, end: timedOut.end, duration_s: 0, times: 'not_started', reason: `timeout: …${NEVER_STARTED}` });
  t.match(schedulerRecord(4, s, { ...timedOut, end: undefined }, null, null, 'Slurm', '', 'never').reason, /^lost: the array element ended \(Slurm TIMEOUT\) without a record for this task; this task never started/, 'lost: the kind stays first');
  const own = { ...running, source: 'wrapper', times: undefined, reason: 'terminated: …', start: at, duration_s: 41 } as TaskRecord;
  t.match(schedulerRecord(4, s, timedOut, 'timeout: …', own, 'Slurm', '', 'never'), { reason: 'timeout: …', duration_s: 41 }, 'a record of its own (an earlier run of a requeued element) is believed instead');
});

t.test('linesSince: start lines count from the element\'s last start (less a minute of clock skew)', async (t) => {
  const timedOut = find(parseSacctOutput(SACCT_FINAL), JOB.timeout, 1);
  t.equal(linesSince(timedOut), Date.parse(timedOut.start as string) - 60_000, 'a requeued element killed before its new header: the old lines are older');
  t.equal(linesSince({ ...timedOut, start: undefined }), Infinity, 'an end and no start: the last run never started (cancelled while pending after a requeue)');
  t.equal(linesSince({ ...timedOut, start: undefined, end: undefined }), -Infinity, 'no times (PBS, a vanished element): any lines count');
});

t.test('elementTimes with start lines: no end from the scheduler, or a node clock ahead of it', async (t) => {
  const now = new Date(Date.UTC(2026, 11, 4, 12));
  const stateOnly = find(parseSqueueOutput(`${JOB.timeout}_0|TIMEOUT\n`), JOB.timeout, 0);
  const at = new Date(now.getTime() - 5000).toISOString();
  t.same(elementTimes(stateOnly, { at }, now), { start: at, end: now.toISOString(), duration_s: 5, times: 'task_start' }, 'ended when noticed');
  t.same(elementTimes(stateOnly, 'never', now), { start: now.toISOString(), end: now.toISOString(), duration_s: 0, times: 'not_started' });
  // noticed hours late (a resume after a Ctrl-C): no later than its start plus the element's time limit
  const early = new Date(now.getTime() - 3 * 3600_000).toISOString();
  t.same(elementTimes(stateOnly, { at: early }, now, 600), { start: early, end: new Date(Date.parse(early) + 600_000).toISOString(), duration_s: 600, times: 'task_start' }, 'bounded by a 10-minute limit');
  t.same(elementTimes(stateOnly, { at }, now, 600), { start: at, end: now.toISOString(), duration_s: 5, times: 'task_start' }, 'noticed within the limit: when noticed');
  t.equal(elementTimes(stateOnly, { at: early }, now).duration_s, 3 * 3600, 'no limit (0): when noticed');
  const ended = { ...stateOnly, end: new Date(now.getTime() - 10_000).toISOString() };
  t.same(elementTimes(ended, { at }, now), { start: at, end: at, duration_s: 0, times: 'task_start' }, 'started after the scheduler\'s end (clock skew): no negative duration');
});

t.test('after a node failure (or an element the scheduler lost) a task without a start line may have started: no "never started"', async (t) => {
  const timedOut = find(parseSacctOutput(SACCT_FINAL), JOB.timeout, 1);
  const s = { ...sub, jobId: JOB.timeout };
  const at = new Date(Date.parse(timedOut.end as string) - 42_000).toISOString();
  // the lines are not fsynced: a node that went down may have taken the last ones with it
  const starts = new Map([[3, at]]);
  for (const state of ['node_fail', 'boot_fail', 'unknown'] as const) {
    t.same(taskBegan(starts, 3, false, state), { at }, `${state}: a task with a line was running`);
    t.equal(taskBegan(starts, 4, false, state), 'unknown', `${state}: one without a line, not known`);
    t.equal(taskBegan(starts, 5, true, state), 'first', `${state}: the first of its slice, as without start lines`);
  }
  for (const state of ['timeout', 'cancelled', 'out_of_memory', 'failed', 'preempted'] as const) t.equal(taskBegan(starts, 4, false, state), 'never', `${state}: the node lived on, its lines are all there`);
  const nodeFail: ElementStatus = { ...timedOut, state: 'node_fail', rawState: 'NODE_FAIL' };
  const rec = schedulerRecord(4, s, nodeFail, 'node failure: …', null, 'Slurm', '', taskBegan(starts, 4, false, nodeFail.state));
  t.match(rec, { start: timedOut.end, end: timedOut.end, duration_s: 0, times: 'element_end', reason: 'node failure: …' }, 'the element\'s end, as before start lines');
  t.notMatch(rec.reason, /never started/);
});
