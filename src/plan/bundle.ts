// The automatic bundle: how many tasks one array element runs when the config does not say (pure; docs/performance.md).
//
// Why: every array element starts a Node wrapper (~2 s on a cluster node), while inside an element the wrapper adds
// ~50-60 ms per task. 1,000 tasks of 0.1 s at bundle 1 took 2.7-3.5x a plain `sbatch --array`; at bundle 10 they
// matched it. Elements that run for minutes make the start-up cost vanish and keep the scheduler's queue short.
//
// The rule, in order:
//  1. An explicit `executor.array.bundle` wins.
//  2. The time per task is `expected_task_time` (config, or a smoke run) when known; else it is learned when the
//     executor is a batch scheduler (`learnable`) and there are more tasks than slots: the first `slots` tasks
//     (the probe) run one per element, and the batch loop bundles the rest from their measured time (chooseBundle
//     again, with that time). Else `timeout`, the most a task may take, is used as an upper bound (so the worst case of
//     an element still meets the target and the limit); with neither, the bundle is 1. A task's time is never
//     guessed: resources.time may have been sized for one task (ten 8-minute tasks in a 10-minute element would be
//     killed). Each task costs its time plus TASK_OVERHEAD_S.
//  3. Target: as many rounds of `parallel` tasks as fit in `target_element_time` (at least one round).
//  4. Slots: a short ensemble is never packed into fewer elements than the cluster runs at once; the bundle is at
//     most floor(tasks / slots), so elements >= slots. Slots are the elements the cluster can run at once (its
//     CPUs over CPUs per element, `sinfo -h -o %C`), capped by `throttle`; DEFAULT_SLOTS when unknown.
//  5. Time limit: the expected element time times TIME_MARGIN must fit in `resources.time`.
//  6. The smallest of 3-5, at least 1, and at least `parallel` (so the element's CPUs are used).
// Measuring the probe's task time is the batch loop's business (src/executor/learn.ts), not this file's.

/** Seconds the wrapper adds per task inside an element (scratch dir, params.json, spawn, record): measured 50-60 ms. */
export const TASK_OVERHEAD_S = 0.06;
/** Elements assumed to run at once when the cluster's size is unknown. */
export const DEFAULT_SLOTS = 100;
/** resources.time must be at least this many times the expected element time. */
export const TIME_MARGIN = 1.5;
/** executor.array.target_element_time when the config does not set it: 10 minutes. */
export const DEFAULT_TARGET_S = 600;

export interface BundleInput {
  tasks: number;
  /** Expected seconds per task, or null when unknown. */
  taskTime: number | null;
  /** Where taskTime came from, named in the reason (default `expected_task_time`). */
  taskTimeFrom?: string;
  /** executor.array.target_element_time, seconds. */
  target: number;
  /** Elements the cluster runs at once (CPUs / CPUs per element), or null: DEFAULT_SLOTS. */
  slots: number | null;
  /** executor.array.throttle: at most this many elements run at once. */
  throttle?: number;
  /** resources.time in seconds, or null when unset. */
  timeLimit: number | null;
  /** Per-task timeout in seconds (0 = none): an upper bound on a task's time when taskTime is unknown. */
  timeout: number;
  /** Tasks run at once inside an element. */
  parallel: number;
  /** executor.array.bundle when the config sets it. */
  explicit: number | null;
  /** Whether an unknown task time may be learned from a probe (a batch executor, not a later stage or adaptive round). */
  learnable?: boolean;
}

export interface BundleChoice {
  bundle: number;
  elements: number;
  /** Why: one line, shown by `plan --dry-run` and kept in plan.json and the journal. */
  reason: string;
  /** Expected seconds per element (worst case when sized by timeout); null when nothing bounds a task's time. */
  elementTime: number | null;
  /** Set when the task time is to be learned: the first `probe` tasks run one per element, the rest wait for their time. */
  probe?: number;
}

/** A duration for people: `0.1 s`, `2.0 s`, `45 s`, `10 min`, `1.5 h`. */
export function formatSeconds(s: number): string {
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${+(s / 60).toFixed(1)} min`;
  return `${+(s / 3600).toFixed(1)} h`;
}

/** Chooses the bundle of an ensemble: see the rule at the top of this file. */
export function chooseBundle(input: BundleInput): BundleChoice {
  const { tasks, target, timeLimit, explicit } = input;
  const parallel = Math.max(1, input.parallel);
  const elementsOf = (b: number) => Math.ceil(tasks / b);
  const rounds = (b: number) => Math.ceil(b / parallel);
  const known = input.taskTime;
  const perTask = known ?? (input.timeout > 0 ? input.timeout : null);
  const cost = perTask === null ? null : perTask + TASK_OVERHEAD_S;
  const elementTime = (b: number) => (cost === null ? null : rounds(b) * cost);

  if (explicit !== null) {
    const b = Math.max(1, explicit);
    const t = elementTime(b);
    const over = t !== null && timeLimit !== null && t > timeLimit ? `; warning: ≈ ${formatSeconds(t)} per element exceeds resources.time (${formatSeconds(timeLimit)})` : '';
    return { bundle: b, elements: elementsOf(b), reason: `set in the config (executor.array.bundle)${over}`, elementTime: t };
  }
  const cluster = input.slots ?? DEFAULT_SLOTS;
  const slots = Math.max(1, Math.min(cluster, input.throttle ?? Infinity));
  const slotsFrom = slots < cluster ? 'throttle' : input.slots === null ? 'default' : 'cluster';
  if (known === null && input.learnable && tasks > slots) {
    return {
      bundle: 1,
      elements: tasks,
      probe: slots,
      reason:
        `task time unknown: the first ${slots} tasks (${slots} slots, ${slotsFrom}) run one per element to measure it, ` +
        `then the other ${tasks - slots} go out bundled from the measured time (set expected_task_time to skip the probe)`,
      elementTime: null,
    };
  }
  if (perTask === null || cost === null) {
    return {
      bundle: 1,
      elements: tasks,
      reason: 'task time unknown and no timeout to bound it: one task per element (set expected_task_time, or timeout as an upper bound, to bundle short tasks)',
      elementTime: null,
    };
  }
  const byTarget = Math.max(1, Math.floor(target / cost)) * parallel;
  const bySlots = Math.max(1, Math.floor(tasks / slots));
  const byLimit = timeLimit === null ? Infinity : Math.floor(timeLimit / TIME_MARGIN / cost) * parallel;
  const capped = Math.max(1, Math.min(byTarget, bySlots, byLimit, tasks));
  // a whole round of `parallel` tasks where there are that many: the element's CPUs are asked for anyway
  const bundle = Math.max(capped, Math.min(parallel, tasks));
  const elements = elementsOf(bundle);
  const t = elementTime(bundle) as number;

  const per = known !== null ? `expected ${formatSeconds(known)} per task (${input.taskTimeFrom ?? 'expected_task_time'})` : `up to ${formatSeconds(perTask)} per task (timeout; task time unknown)`;
  const facts = `${per}, target ${formatSeconds(target)} per element, ${slots} slots (${slotsFrom})`;
  let why = `≈ ${formatSeconds(t)} per element`;
  if (bundle > capped) why = `one round of ${bundle} tasks at once (parallel ${parallel}), ${why}`;
  else if (byLimit < 1) why = `${known !== null ? 'one task' : 'the timeout'} does not fit resources.time (${formatSeconds(timeLimit as number)}) with margin ${TIME_MARGIN}: one task per element`;
  else if (bundle === byLimit && byLimit < byTarget) why = `capped by resources.time (${formatSeconds(timeLimit as number)}, margin ${TIME_MARGIN}), ${why}`;
  else if (bundle === bySlots && bySlots < byTarget) why = `capped so the ${tasks} tasks fill the slots, ${why}`;
  else if (cost > target) why = `one task already exceeds the target, ${why}`;
  return { bundle, elements, reason: `${facts}: ${why}`, elementTime: t };
}
