// chooseBundle: the automatic bundle as a table of (tasks, task time, limits) -> (bundle, elements, why).
import t from 'tap';
import { type BundleInput, DEFAULT_SLOTS, TASK_OVERHEAD_S, TIME_MARGIN, chooseBundle, formatSeconds } from '../../src/plan/bundle.js';

const base: BundleInput = { tasks: 1000, taskTime: null, target: 600, slots: null, timeLimit: null, timeout: 0, parallel: 1, explicit: null };

/** [what, input over base, bundle, elements, a fragment of the reason] */
const TABLE: Array<[string, Partial<BundleInput>, number, number, RegExp]> = [
  // the measured case of issue 11: 1,000 x 0.1 s matched a plain array at bundle 10
  ['tiny tasks: the slots cap it', { taskTime: 0.1 }, 10, 100, /expected 0\.1 s per task \(expected_task_time\), target 10 min per element, 100 slots \(default\): capped so the 1000 tasks fill the slots, ≈ 1\.6 s per element$/],
  ['many tasks: the target sets it', { tasks: 100_000, taskTime: 2 }, 291, 344, /: ≈ 10 min per element$/],
  ['the time limit caps it (with margin)', { tasks: 100_000, taskTime: 2, timeLimit: 300 }, 97, 1031, /capped by resources\.time \(5 min, margin 1\.5\), ≈ 3\.3 min per element$/],
  ['throttle caps the slots', { taskTime: 2, throttle: 8 }, 125, 8, /8 slots \(throttle\): capped so the 1000 tasks fill the slots/],
  ['the cluster\'s slots', { taskTime: 2, slots: 40 }, 25, 40, /40 slots \(cluster\)/],
  ['a throttle above the slots changes nothing', { taskTime: 2, slots: 40, throttle: 500 }, 25, 40, /40 slots \(cluster\)/],
  ['fewer tasks than slots: one each', { tasks: 50, taskTime: 2 }, 1, 50, /capped so the 50 tasks fill the slots/],
  ['unknown time, timeout as the upper bound', { tasks: 10_000, timeout: 60 }, 9, 1112, /^up to 60 s per task \(timeout; task time unknown\), target 10 min per element, 100 slots \(default\): ≈ 9 min per element$/],
  ['unknown time, no timeout: 1', { tasks: 10_000, timeLimit: 600 }, 1, 10_000, /^task time unknown and no timeout to bound it: one task per element \(set expected_task_time/],
  ['a task longer than the target', { tasks: 10_000, taskTime: 3600, timeLimit: 7200 }, 1, 10_000, /one task already exceeds the target, ≈ 60 min per element$/],
  ['a task that does not fit the limit', { tasks: 10_000, taskTime: 3600, timeLimit: 3600 }, 1, 10_000, /one task does not fit resources\.time \(60 min\) with margin 1\.5: one task per element$/],
  ['a timeout that does not fit the limit', { tasks: 10_000, timeout: 3600, timeLimit: 3600 }, 1, 10_000, /the timeout does not fit resources\.time/],
  ['parallel: rounds of 4 tasks', { tasks: 10_000, taskTime: 30, parallel: 4 }, 76, 132, /≈ 9\.5 min per element$/],
  ['parallel: at least one full round', { tasks: 300, taskTime: 2, parallel: 4 }, 4, 75, /: one round of 4 tasks at once \(parallel 4\), ≈ 2\.1 s per element$/],
  ['parallel above the tasks', { tasks: 3, taskTime: 1, parallel: 4 }, 3, 1, /≈ 1\.1 s per element$/],
  ['a target of 1 min', { tasks: 100_000, taskTime: 2, target: 60 }, 29, 3449, /target 60 s per element/],
  ['from a smoke run', { tasks: 100_000, taskTime: 2, taskTimeFrom: 'smoke run' }, 291, 344, /^expected 2\.0 s per task \(smoke run\)/],
  ['explicit wins', { tasks: 100_000, taskTime: 2, explicit: 7 }, 7, 14_286, /^set in the config \(executor\.array\.bundle\)$/],
  ['explicit wins, with a warning past the limit', { tasks: 10_000, taskTime: 30, explicit: 50, timeLimit: 600 }, 50, 200, /; warning: ≈ 25\.1 min per element exceeds resources\.time \(10 min\)$/],
  ['explicit wins over unknown time', { explicit: 3 }, 3, 334, /^set in the config/],
  ['unknown time on a batch scheduler: a probe of one task per slot', { learnable: true, slots: 8 }, 1, 1000, /^task time unknown: the first 8 tasks \(8 slots, cluster\) run one per element to measure it, then the other 992 go out bundled/],
  ['learnable wins over the timeout bound', { learnable: true, timeout: 60 }, 1, 1000, /^task time unknown: the first 100 tasks \(100 slots, default\)/],
  ['no more tasks than slots: no probe', { learnable: true, tasks: 8, slots: 8 }, 1, 8, /^task time unknown and no timeout/],
  ['a known time needs no probe', { learnable: true, taskTime: 0.1, slots: 8 }, 125, 8, /expected 0\.1 s per task/],
];

t.test('chooseBundle: the table', async (t) => {
  for (const [what, over, bundle, elements, why] of TABLE) {
    const c = chooseBundle({ ...base, ...over });
    t.equal(c.probe, /the first \d+ tasks/.test(c.reason) ? (over.slots ?? DEFAULT_SLOTS) : undefined, `${what}: probe`);
    t.same([c.bundle, c.elements], [bundle, elements], `${what}: bundle and elements`);
    t.match(c.reason, why, `${what}: reason`);
    t.equal(c.elements, Math.ceil((over.tasks ?? base.tasks) / c.bundle), `${what}: elements = ceil(tasks / bundle)`);
  }
});

t.test('chooseBundle: the invariants over a grid of inputs', async (t) => {
  let n = 0;
  for (const tasks of [1, 7, 99, 100, 101, 1000, 12_345, 1_000_000]) {
    for (const taskTime of [0.01, 0.1, 2, 45, 600, 7200]) {
      for (const timeLimit of [null, 60, 1800, 86_400]) {
        for (const parallel of [1, 3]) {
          for (const slots of [null, 8, 5000]) {
            const c = chooseBundle({ ...base, tasks, taskTime, timeLimit, parallel, slots });
            const cost = taskTime + TASK_OVERHEAD_S;
            const rounds = Math.ceil(c.bundle / parallel);
            n++;
            if (!(c.bundle >= 1 && c.bundle <= Math.max(1, tasks))) t.fail(`bundle in 1..tasks: ${JSON.stringify({ tasks, taskTime, c })}`);
            // never fewer elements than slots, unless a round of `parallel` tasks needs more
            const s = slots ?? DEFAULT_SLOTS;
            if (c.bundle > parallel && c.elements < Math.min(s, tasks)) t.fail(`elements >= slots: ${JSON.stringify({ tasks, slots, c })}`);
            // within the time limit with margin, whenever one round fits at all
            if (timeLimit !== null && cost * TIME_MARGIN <= timeLimit && rounds * cost * TIME_MARGIN > timeLimit) t.fail(`limit: ${JSON.stringify({ timeLimit, taskTime, c })}`);
            // never past the target by more than one round
            if (rounds > 1 && rounds * cost > 600) t.fail(`target: ${JSON.stringify({ taskTime, c })}`);
          }
        }
      }
    }
  }
  t.ok(n > 1000, `${n} combinations checked`);
});

t.test('formatSeconds', async (t) => {
  t.same([0.1, 2, 9.96, 45, 89, 90, 600, 5399, 5400, 86_400].map(formatSeconds), ['0.1 s', '2.0 s', '10.0 s', '45 s', '89 s', '1.5 min', '10 min', '90 min', '1.5 h', '24 h']);
});
