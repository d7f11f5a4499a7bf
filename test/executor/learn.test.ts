// learnBundle: the bundle of the tasks a probe held back, from the probe's measured task times.
import t from 'tap';
import { learnBundle } from '../../src/executor/learn.js';
import type { TaskRecord } from '../../src/records/record.js';
import { taskRecord } from '../helpers/records.js';
import { slurmPlan } from '../helpers/plans.js';

/** 1,000 tasks at bundle 1 with a probe of 8 (what the plan of a task time unknown on an 8-CPU cluster holds), resources.time 10 min. */
// executor.array.bundle 1: what the run's effective plan carries (the probe's bundle), not a bundle from the config
const plan = { ...slurmPlan({ array: { bundle: 1, parallel: 1, throttle: 50, steal: true } }, 1000, 1), bundle_probe: 8 };
const finals = (records: TaskRecord[]) => new Map(records.map((r) => [r.task, r]));

t.test('nothing learned while the probe has not said enough', async (t) => {
  t.equal(learnBundle(plan, finals([]), 8, 0), null);
  t.equal(learnBundle(plan, finals([0, 1, 2].map((i) => taskRecord(i, { duration_s: 0.1 }))), 8, 5), null, '3 of 8 done');
  t.equal(learnBundle({ ...plan, bundle_probe: undefined }, finals([]), 8, 1e6), null, 'no probe: nothing to learn');
});

t.test('half the probe done: the median of their times sizes the bundle', async (t) => {
  const done = [0.1, 0.12, 0.09, 5].map((d, i) => taskRecord(i, { duration_s: d }));
  const l = learnBundle(plan, finals(done), 8, 3);
  // median 0.11 s: the 992 other tasks fill the 8 slots (124 each) long before the 10-minute target
  t.equal(l?.bundle, 124);
  t.match(l?.reason, /^learned: bundle 124 for the 992 tasks after the probe: expected 0\.1 s per task \(median of 4 probe tasks\), target 10 min per element, 8 slots \(cluster\): capped so the 992 tasks fill the slots/);
  t.equal(learnBundle(plan, finals(done.map((r) => ({ ...r, duration_s: 400 }))), 8, 3)?.bundle, 1, 'tasks of 400 s: one per element (the 10-minute limit)');
  t.equal(learnBundle(plan, finals(done.map((r) => ({ ...r, duration_s: 30 }))), 1000, 3)?.bundle, 13, 'resources.time caps it: 13 × 30.06 s × 1.5 <= 10 min');
});

t.test('a probe that failed, or is slow, still decides', async (t) => {
  const failed = Array.from({ length: 8 }, (_, i) => taskRecord(i, { status: i < 2 ? 'done' : 'failed', duration_s: 2 }));
  t.match(learnBundle(plan, finals(failed), 8, 10)?.reason, /median of the 8 probe tasks, 6 of them failed/);
  t.match(learnBundle(plan, finals([]), 8, 600), { bundle: 1, reason: /no probe task finished in 10 min/ }, 'none finished within the target: long tasks, one per element');
  t.match(learnBundle(plan, finals([taskRecord(0, { duration_s: 550 })]), 8, 600), { bundle: 1, reason: /median of the 1 probe tasks done after 10 min/ });
});
