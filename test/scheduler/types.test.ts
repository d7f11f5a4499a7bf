// Tests for src/scheduler/types.ts: final states and readable failure reasons (on real sacct/squeue answers).
import t from 'tap';
import { parseSacctOutput, parseSqueueOutput } from '../../src/scheduler/slurm/parse-status.js';
import { failureReason, isFinal } from '../../src/scheduler/types.js';
import { JOB, SQUEUE_FINAL, SACCT_FINAL, SACCT_SIGTERM, find } from '../fixtures/slurm/outputs.js';

t.test('final states and readable failure reasons', async (t) => {
  const s = parseSacctOutput(SACCT_FINAL);
  t.ok(s.every((x) => isFinal(x.state)), 'everything ended');
  const reasons = new Map(s.map((x) => [`${x.arrayJobId}_${x.index ?? x.range ?? ''}`, failureReason(x)]));
  t.equal(reasons.get(`${JOB.ok}_0`), null);
  t.equal(reasons.get(`${JOB.plain}_`), null);
  t.equal(reasons.get(`${JOB.exit3}_1`), 'exit code 3');
  t.equal(reasons.get(`${JOB.timeout}_0`), 'timeout: the array element hit its time limit (Slurm TIMEOUT); give it more with executor.resources.time (an element runs its whole bundle within it), or each retry more with executor.retry_scale.time', 'the fix named, as for memory');
  t.match(find(s, JOB.timeout, 0), { exitCode: 0 }, 'TIMEOUT reads 0:0 in sacct -X');
  t.match(reasons.get(`${JOB.oom}_0`), /^killed by signal 9 \(SIGKILL\): .*memory/);
  t.match(failureReason(parseSacctOutput(SACCT_SIGTERM)[0]), /^killed by signal 15 \(SIGTERM\)$/);

  const q = parseSqueueOutput(SQUEUE_FINAL);
  t.match(find(q, JOB.timeout, 1), { state: 'timeout', reason: 'TimeLimit' });
  t.match(find(q, JOB.oom, 0), { state: 'failed', reason: 'JobLaunchFailure' }, 'squeue reason of a killed script is misleading');
  t.match(failureReason(find(q, JOB.oom, 0)), /^failed: .*JobLaunchFailure/);
});
