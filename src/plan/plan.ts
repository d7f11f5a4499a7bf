// Points -> tasks -> array elements: the pure planning functions, and the plan file every stage reads.
import type { Config, KeepPolicy, Point, ResultSpec } from '../config/types.js';
import type { TaskRow } from '../records.js';
import { taskSeed } from '../sampling/index.js';

/** What the node-side wrapper needs to run a task: read from plan/plan.json, never from the YAML. */
export interface RuntimeSpec {
  command: string[];
  env: Record<string, string>;
  inputs: { copy: string[]; link: string[]; dir?: string };
  result: ResultSpec;
  keep: KeepPolicy;
  /** Per-task wall-clock limit in seconds (0 = none). */
  timeout: number;
  /** Scratch root; `$TMPDIR` = $TMPDIR when set, else the OS temp dir. */
  scratch: string;
  /** Tasks of one array element run at once. */
  parallel: number;
}

export interface PlanFile {
  format: 1;
  name: string;
  config_hash: string;
  tasks: number;
  param_names: string[];
  /** Tasks per array element; element e runs tasks [e*bundle, min(tasks, (e+1)*bundle)). */
  bundle: number;
  elements: number;
  retries: number;
  runtime: RuntimeSpec;
  /** Absolute paths captured at plan time so compute nodes sharing the filesystem need nothing else. */
  node: string;
  arrayflow: string;
}

/** Tasks from points: ids 0..N-1 in point order, batch = id / batch size, seeds derived from the sampling seed. */
export function planTasks(points: Point[], seed: number, batchSize: number | undefined): TaskRow[] {
  const size = batchSize ?? points.length;
  return points.map((params, id) => ({
    id,
    batch: size > 0 ? Math.floor(id / size) : 0,
    seed: taskSeed(seed, id),
    params,
  }));
}

/** Task ids run by array element `element`. */
export function elementTasks(plan: Pick<PlanFile, 'bundle' | 'tasks'>, element: number): number[] {
  const first = element * plan.bundle;
  const last = Math.min(plan.tasks, first + plan.bundle);
  const ids: number[] = [];
  for (let id = first; id < last; id++) ids.push(id);
  return ids;
}

export function planRuntime(config: Config): RuntimeSpec {
  return {
    command: config.command,
    env: config.env,
    inputs: config.inputs,
    result: config.result,
    keep: config.keep,
    timeout: config.timeout,
    scratch: config.executor.scratch,
    parallel: config.executor.array.parallel,
  };
}

/** Names of the parameters in config order. */
export function paramNames(config: Config): string[] {
  return Object.keys(config.parameters);
}
