// Tests for src/scheduler/pbs/limits.ts: qmgr gives the limits.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/util/paths.js';
import { parseQmgrServer } from '../../../src/scheduler/pbs/limits.js';

const fixture = (name: string) => readFileSync(join(packageRoot, 'test', 'fixtures', 'pbs', name), 'utf8');

t.test('qmgr gives the limits', async (t) => {
  const pro = fixture('pbspro-qmgr-print-server.txt');
  t.same(parseQmgrServer(pro), { defaultQueue: 'workq', maxArraySize: 5000, maxQueued: 2000 }, 'the default queue\'s smaller max_array_size wins');
  t.same(parseQmgrServer(pro, { queue: 'debug' }), { defaultQueue: 'workq', maxArraySize: 10000, maxQueued: 2000 });
  t.same(parseQmgrServer(fixture('torque-qmgr-print-server.txt')), { defaultQueue: 'batch', maxArraySize: 1000, maxQueued: 3000, maxSlotLimit: 50 });
  t.same(parseQmgrServer('set server max_queued = [u:alice=50],[u:PBS_GENERIC=200]\n', { user: 'alice' }).maxQueued, 50);
  t.throws(() => parseQmgrServer('qmgr: Unauthorized Request\n'), { message: /printed no configuration/ });
});
