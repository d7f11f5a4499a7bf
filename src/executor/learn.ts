// The learned bundle (pure): when a plan has a probe (plan.bundle_probe, src/plan/bundle.ts), the bundle of the tasks
// held back is chosen from the probe's measured task times, as soon as they say enough.
import { chooseBundle, formatSeconds } from '../plan/bundle.js';
import type { PlanFile } from '../plan/plan.js';
import { bundleInput } from '../plan/write.js';
import type { FinalBrief, FinalsView } from '../records/record.js';

export interface LearnedBundle {
  bundle: number;
  /** One line for the journal (`bundle_learned`) and the run's messages. */
  reason: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The bundle of the tasks the probe (tasks 0..plan.bundle_probe-1) held back, or null while the probe has not told
 * enough. The task time is the median duration of
 *  - the probe's done tasks, once half of the probe (at least one) is done;
 *  - else every probe task with a final record (failed ones too), once all have one;
 *  - else, once `elapsedS` reaches target_element_time: the done ones if any, or `elapsedS` itself (no task has
 *    finished in that time, so each takes at least that long: one task per element).
 * `slots`: the elements the cluster runs at once, as at plan time (null: unknown).
 */
export function learnBundle(plan: PlanFile, finals: FinalsView, slots: number | null, elapsedS: number): LearnedBundle | null {
  const probe = plan.bundle_probe;
  if (probe === undefined) return null;
  const finished: FinalBrief[] = [];
  for (let t = 0; t < probe; t++) {
    const r = finals.get(t);
    if (r) finished.push(r);
  }
  const done = finished.filter((r) => r.status === 'done');
  const input = bundleInput(plan.executor, plan.runtime.timeout, Math.max(1, plan.tasks - probe), null, slots);
  let time: number;
  let from: string;
  if (done.length >= Math.max(1, Math.ceil(probe / 2))) {
    time = median(done.map((r) => r.duration_s));
    from = `median of ${done.length} probe tasks`;
  } else if (finished.length === probe) {
    time = median(finished.map((r) => r.duration_s));
    from = `median of the ${probe} probe tasks, ${probe - done.length} of them failed`;
  } else if (elapsedS >= input.target) {
    time = done.length > 0 ? median(done.map((r) => r.duration_s)) : elapsedS;
    from = done.length > 0 ? `median of the ${done.length} probe tasks done after ${formatSeconds(elapsedS)}` : `no probe task finished in ${formatSeconds(elapsedS)}`;
  } else {
    return null;
  }
  // a plan with a probe had no bundle in its config (the run's effective plan carries the probe's bundle 1 there)
  const choice = chooseBundle({ ...input, explicit: null, taskTime: time, taskTimeFrom: from });
  return { bundle: choice.bundle, reason: `learned: bundle ${choice.bundle} for the ${plan.tasks - probe} tasks after the probe: ${choice.reason}` };
}
