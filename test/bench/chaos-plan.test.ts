// The chaos run's fault schedule: seeded (one seed, one schedule), the asked-for count of each kind, inside its window.
import t from 'tap';
import { FAULT_KINDS, planFaults, pickOf } from '../../bench/chaos-plan.js';

const counts = { kill: 10, 'requeue-running': 2, scancel: 3, slurmd: 1 };

t.test('one seed gives one schedule; another seed another', async (t) => {
  t.same(planFaults(7, counts, 1, 20), planFaults(7, counts, 1, 20));
  t.notSame(planFaults(8, counts, 1, 20).map((f) => f.at), planFaults(7, counts, 1, 20).map((f) => f.at));
});

t.test('the count of each kind, in time order, inside [from, to], draws in [0, 1)', async (t) => {
  const faults = planFaults(3, counts, 2, 30);
  for (const kind of FAULT_KINDS) t.equal(faults.filter((f) => f.kind === kind).length, counts[kind as keyof typeof counts] ?? 0, kind);
  t.ok(faults.every((f, i) => f.at >= 2 && f.at <= 30 && (i === 0 || faults[i - 1].at <= f.at)), 'sorted, inside the window');
  t.ok(faults.every((f) => [f.pick, f.span, f.coin].every((u) => u >= 0 && u < 1)));
});

t.test('pickOf: a candidate by the draw, null when there is none', async (t) => {
  t.equal(pickOf({ pick: 0 }, ['a', 'b', 'c']), 'a');
  t.equal(pickOf({ pick: 0.999 }, ['a', 'b', 'c']), 'c');
  t.equal(pickOf({ pick: 0.5 }, []), null);
});
