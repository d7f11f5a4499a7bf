// Tests for src/scheduler/resources.ts: retry resource scaling.
import t from 'tap';
import { scaleResources } from '../../src/scheduler/resources.js';

t.test('retry_scale grows time and memory per attempt', async (t) => {
  const r = { time: '00:10:00', mem: '2G' };
  t.same(scaleResources(r, { time: 2, mem: 1.5 }, 1), r);
  t.same(scaleResources(r, { time: 2, mem: 1.5 }, 2), { time: '00:20:00', mem: '3072M' });
  t.same(scaleResources({ time: '1-12:00:00' }, { time: 2 }, 2), { time: '3-00:00:00' });
  t.same(scaleResources({ time: '90' }, { time: 1.5 }, 3), { time: '03:22:30' });
});
