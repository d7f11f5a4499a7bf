// Tests for src/scheduler/pbs/states.ts: state letters and exit statuses.
import t from 'tap';
import { mapPbsState, stateFromExit } from '../../../src/scheduler/pbs/states.js';

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
