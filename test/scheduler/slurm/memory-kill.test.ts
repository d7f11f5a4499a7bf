// Tests for src/scheduler/slurm/memory-kill.ts: FAILED 0:9 plus the slurmstepd line.
import t from 'tap';
import { applyMemoryKill, detectMemoryKill } from '../../../src/scheduler/slurm/memory-kill.js';
import { parseSacctOutput } from '../../../src/scheduler/slurm/parse-status.js';
import { failureReason } from '../../../src/scheduler/types.js';
import { JOB, SACCT_FINAL, STDERR_MEMORY_KILL, STDERR_TIMEOUT, find } from '../../fixtures/slurm/outputs.js';

t.test('memory kills: FAILED 0:9 plus slurmstepd line', async (t) => {
  t.ok(detectMemoryKill(STDERR_MEMORY_KILL));
  t.notOk(detectMemoryKill(STDERR_TIMEOUT), 'a time-limit cancel is not a memory kill');
  t.notOk(detectMemoryKill('my sim: exceeded memory limit of the mesh cache\n'), 'only slurmstepd lines count');
  t.ok(detectMemoryKill('slurmstepd: error: Detected 1 oom-kill event(s) in StepId=12.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.\n'));
  const killed = find(parseSacctOutput(SACCT_FINAL), JOB.oom, 0);
  const oom = applyMemoryKill(killed, STDERR_MEMORY_KILL);
  t.equal(oom.state, 'out_of_memory');
  t.equal(oom.signal, 9);
  t.match(failureReason(oom), /^out of memory: .*\(Slurm FAILED\); give it more with executor\.resources\.mem, or each retry more with executor\.retry_scale\.mem$/);
  t.equal(applyMemoryKill(killed, STDERR_TIMEOUT), killed);
  const ok = find(parseSacctOutput(SACCT_FINAL), JOB.ok, 0);
  t.equal(applyMemoryKill(ok, STDERR_MEMORY_KILL).state, 'completed', 'only failed/cancelled are reinterpreted');
});
