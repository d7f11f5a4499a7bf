// schedulerRecord: the failed record written for a task whose array element ended without one, with a stderr tail.
import t from 'tap';
import { schedulerRecord } from '../../src/executor/verdict.js';
import type { TaskRecord } from '../../src/records/record.js';
import type { ElementStatus } from '../../src/scheduler/types.js';

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
