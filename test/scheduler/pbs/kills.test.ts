// Tests for src/scheduler/pbs/kills.ts: kills named on stderr.
import t from 'tap';
import { applyPbsKill } from '../../../src/scheduler/pbs/kills.js';
import { type ElementStatus } from '../../../src/scheduler/types.js';

t.test('kills named on stderr', async (t) => {
  const failed: ElementStatus = { arrayJobId: '4711[].pbs01', index: 2, state: 'failed', rawState: 'X', signal: 15, scheduler: 'PBS' };
  t.equal(applyPbsKill(failed, 'starting\n=>> PBS: job killed: walltime 152 exceeded limit 120\n').state, 'timeout');
  t.equal(applyPbsKill(failed, '=>> PBS: job killed: mem 2098176kb exceeded limit 1048576kb\n').state, 'out_of_memory');
  t.equal(applyPbsKill(failed, 'my sim says: PBS: job killed: walltime 1 exceeded limit 0\n').state, 'failed', 'only the MoM\'s own line counts');
  t.equal(applyPbsKill({ ...failed, state: 'completed' }, '=>> PBS: job killed: walltime 1 exceeded limit 0\n').state, 'completed');
});
