// What may change between runs of one ensemble (its execution settings) and what defines its tasks (compared key by key).
import { createHash } from 'node:crypto';
import type { Config, DatasetSpec, ExecutorSpec, KeepPolicy, LogsPolicy, PrologueSpec } from '../config/types.js';
import { DEFAULT_DATASET } from '../config/types.js';
import type { SettingChange } from '../journal/journal.js';
import type { PlanFile } from './plan.js';

/**
 * How, where and for how long the tasks run: `timeout`, `keep`, `logs`, `result.max_size` (raising it is the fix for a
 * `result too large` failure), the `prologue` (it prepares the machine; one that succeeded does not run again), the
 * `dataset` files collect writes and the whole `executor` section (type, workers, resources, array throttle and limits, scratch, setup lines, retries,
 * retry_on, retry_scale, poll, caps, host). They may change between runs; plan.json holds the current ones, the journal
 * every change (`settings` events).
 */
export interface ExecutionSettings {
  timeout: number;
  keep: KeepPolicy;
  logs?: LogsPolicy;
  result: { max_size?: number };
  prologue?: PrologueSpec;
  /** Absent in plans written before it existed: DEFAULT_DATASET. */
  dataset?: DatasetSpec;
  executor: ExecutorSpec;
}


/** Settings nested in a task-defining section: left out of the task keys. */
const SETTING_PATHS = new Set(['result.max_size']);

/** The element layout is fixed when the ensemble is planned: jobs already queued slice their tasks by it. */
const LAYOUT_KEYS = new Set(['executor.array.bundle', 'executor.array.target_element_time']);

/** The execution settings of a config. */
export function configSettings(config: Config): ExecutionSettings {
  return { timeout: config.timeout, keep: config.keep, logs: config.logs, result: { max_size: config.result.max_size }, prologue: config.prologue, dataset: config.dataset, executor: config.executor };
}

/** The execution settings a plan holds now. */
export function planSettings(plan: PlanFile): ExecutionSettings {
  const { runtime } = plan;
  return { timeout: runtime.timeout, keep: runtime.keep, logs: runtime.logs, result: { max_size: runtime.result.max_size }, prologue: plan.prologue, dataset: plan.dataset ?? DEFAULT_DATASET, executor: plan.executor };
}

/** `plan` with `settings` in every place the controller and the node read them (the element layout unchanged). */
export function withSettings(plan: PlanFile, settings: ExecutionSettings): PlanFile {
  const { executor } = settings;
  const { prologue: _old, dataset: _dataset, ...rest } = plan;
  return {
    ...rest,
    ...(settings.prologue ? { prologue: settings.prologue } : {}),
    ...(settings.dataset ? { dataset: settings.dataset } : {}),
    retries: executor.retries,
    executor,
    runtime: {
      ...plan.runtime,
      timeout: settings.timeout,
      keep: settings.keep,
      ...(settings.logs === undefined ? {} : { logs: settings.logs }),
      result: { ...plan.runtime.result, ...(settings.result.max_size === undefined ? {} : { max_size: settings.result.max_size }) },
      scratch: executor.scratch,
      parallel: executor.array.parallel,
    },
  };
}

/** Leaf values by key path; arrays (argv, keep lists, setup lines) are leaves. */
function flatten(value: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(path, value);
  }
  return out;
}

/** The settings that differ between `from` and `to`, by key path in alphabetical order (pure). */
export function settingsChanges(from: ExecutionSettings, to: ExecutionSettings): SettingChange[] {
  const a = flatten(from, '', new Map());
  const b = flatten(to, '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))).map((key) => ({ key, from: a.get(key), to: b.get(key) }));
}

/** `timeout: 2 -> 30`, with a word on the layout keys that cannot apply to a planned ensemble (`bundle` is the plan's `bundle`). */
export function describeChange(c: SettingChange, bundle?: number): string {
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  const note = LAYOUT_KEYS.has(c.key) ? ` (the element layout stays as planned${bundle === undefined ? '' : `: ${bundle} tasks per element`}; it applies to a new ensemble)` : '';
  return `${c.key}: ${show(c.from)} -> ${show(c.to)}${note}`;
}

/**
 * What defines the tasks and their results, by key: the normalised config without its execution settings (see
 * {@link ExecutionSettings}), the config file's and ensemble directory's place, the expected task time (it only
 * sizes the element layout) and the adaptive proposer (its budget may grow); the points file's bytes count as
 * `sampling.file (contents)`. One short sha256 per key path (objects one level down: `parameters.beta`,
 * `sampling.seed`, `inputs.copy`), so a refusal can name what changed.
 */
export function taskKeys(config: Config, pointsFile: Uint8Array | null): Record<string, string> {
  const {
    source: _source,
    ensemble_dir: _dir,
    timeout: _timeout,
    keep: _keep,
    executor: _executor,
    expected_task_time: _expected,
    adaptive: _adaptive,
    logs: _logs,
    prologue: _prologue,
    dataset: _dataset,
    ...rest
  } = config;
  const keys: Record<string, string> = {};
  const hash = (v: unknown) => createHash('sha256').update(typeof v === 'string' ? v : JSON.stringify(v)).digest('hex').slice(0, 16);
  for (const [k, v] of Object.entries(rest)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [sub, sv] of Object.entries(v)) if (sv !== undefined && !SETTING_PATHS.has(`${k}.${sub}`)) keys[`${k}.${sub}`] = hash(sv);
    } else if (v !== undefined) keys[k] = hash(v);
  }
  if (pointsFile) keys['sampling.file (contents)'] = createHash('sha256').update(pointsFile).digest('hex').slice(0, 16);
  return Object.fromEntries(Object.entries(keys).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** sha256 of the task keys: one ensemble's identity (manifest.json, plan.json, the journal's `planned` event). */
export function taskHash(keys: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(keys)).digest('hex');
}

/** The key paths whose values differ between two task-key maps (present in one only counts), in order. */
export function taskChanges(planned: Record<string, string>, now: Record<string, string>): string[] {
  return [...new Set([...Object.keys(planned), ...Object.keys(now)])].filter((k) => planned[k] !== now[k]).sort();
}
