// Points -> tasks -> array elements: the pure planning functions, and the plan file every stage reads.
import type { AdaptiveSpec, Config, DatasetSpec, ExecutorSpec, KeepPolicy, LogsPolicy, ParamSpec, PrologueSpec, ResultSpec, SamplingSpec } from '../config/types.js';
import { taskSeeds } from '../sampling/hash.js';
import type { PointBlock } from './points.js';
import type { TaskTable } from './tasks.js';

/** What the node-side wrapper needs to run a task: read from plan/plan.json, never from the YAML. */
export interface RuntimeSpec {
  command: string[];
  env: Record<string, string>;
  inputs: { copy: string[]; link: string[]; dir?: string };
  result: ResultSpec;
  keep: KeepPolicy;
  /** Whose stdout/stderr go to logs/tasks/ (absent in plans written before it existed: DEFAULT_LOGS). */
  logs?: LogsPolicy;
  /** Per-task wall-clock limit in seconds (0 = none). */
  timeout: number;
  /** Scratch root: `auto` (the first set of $SLURM_TMPDIR, $LOCAL_SCRATCH, $TMPDIR, else /tmp) or a path with $VARs. */
  scratch: string;
  /** Tasks of one array element run at once. */
  parallel: number;
}

export interface PlanFile {
  format: 1;
  name: string;
  /** Random id of this ensemble instance: job names carry it, so a re-created ensemble never adopts old jobs. */
  id: string;
  /** sha256 of what defines the tasks; `task_keys` has one short hash per key path, so a refusal names what changed (./settings.ts). */
  task_hash: string;
  task_keys: Record<string, string>;
  tasks: number;
  param_names: string[];
  /** Tasks per array element; element e runs tasks [e*bundle, min(array_tasks, (e+1)*bundle)). */
  bundle: number;
  /** Why this bundle (src/plan/bundle.ts): the config's, or chosen from the task time, target, slots and time limit. */
  bundle_reason?: string;
  /**
   * Set when the task time is learned: only elements 0..bundle_probe-1 go out as chunks (one task each); the other
   * tasks wait for the probe's measured time and go out as listed submissions bundled from it (src/executor/learn.ts).
   */
  bundle_probe?: number;
  /** Tasks covered by the element layout: those planned first. Tasks added by `extend` run as listed resubmissions. */
  array_tasks: number;
  elements: number;
  /** The design, so `extend` can continue it without the config file. */
  design: { parameters: Record<string, ParamSpec>; sampling: SamplingSpec };
  /** Task ids -> (point, replicate), written once tasks are added (src/plan/points.ts; absent: laid out as sampled). */
  point_blocks?: PointBlock[];
  retries: number;
  runtime: RuntimeSpec;
  /** The executor section of the config (resources, array limits), so a resume needs only this file. */
  executor: ExecutorSpec;
  /** Absolute paths captured at plan time so compute nodes sharing the filesystem need nothing else. */
  node: string;
  arrayflow: string;
  /** A later stage of a multi-stage ensemble: the stage whose rows feed its tasks (docs/stages.md). */
  upstream?: UpstreamSpec;
  /** The adaptive proposer as last run with (docs/adaptive.md), so `resume` goes on without the config. */
  adaptive?: AdaptiveSpec;
  /** The config's prologue, run once before the first task (src/run/prologue.ts). */
  prologue?: PrologueSpec;
  /** The dataset files collect writes (absent in plans written before it existed: DEFAULT_DATASET). */
  dataset?: DatasetSpec;
}

/** Task t of a later stage runs on row `params["<stage>.task"]` of the upstream stage, read when t starts. */
export interface UpstreamSpec {
  stage: string;
  /** The upstream stage's ensemble directory, relative to this stage's (`../coarse`). */
  dir: string;
  depend: 'afterany' | 'afterok';
}

/** The parameter of a later stage's task naming its upstream task: `coarse.task`. */
export function upstreamTaskParam(stage: string): string {
  return `${stage}.task`;
}

/**
 * A later stage's task table: every upstream task crossed with the stage's own points (a stage without
 * parameters has one empty point: one task per upstream task), the `<upstream>.task` column first.
 */
export function crossUpstream(stage: string, upstreamTasks: number, own: TaskTable, seed: number, batchSize: number | undefined): TaskTable {
  const per = own.seeds.length;
  const n = upstreamTasks * per;
  const up = new Float64Array(n);
  const data = own.data.map(() => new Float64Array(n));
  for (let k = 0, i = 0; k < upstreamTasks; k++) {
    for (let j = 0; j < per; j++, i++) {
      up[i] = k;
      for (let d = 0; d < data.length; d++) data[d][i] = own.data[d][j];
    }
  }
  const size = batchSize ?? n;
  const batches = new Float64Array(n);
  for (let i = 0; i < n; i++) batches[i] = Math.floor(i / size);
  return { columns: [{ name: upstreamTaskParam(stage), type: 'number' }, ...own.columns], first: 0, seeds: taskSeeds(seed, 0, n), batches, data: [up, ...data] };
}

/** Task ids run by array element `element`. */
export function elementTasks(plan: Pick<PlanFile, 'bundle' | 'array_tasks'>, element: number): number[] {
  const first = element * plan.bundle;
  const last = Math.min(plan.array_tasks, first + plan.bundle);
  const ids: number[] = [];
  for (let id = first; id < last; id++) ids.push(id);
  return ids;
}

/**
 * Whether the elements of a submission of `count` elements claim their tasks and steal unclaimed ones (docs/claims.md):
 * executor.array.steal (plans made before it existed steal too) and a sibling to steal from.
 */
export function claimsTasks(plan: Pick<PlanFile, 'executor'>, count: number): boolean {
  return plan.executor.array.steal !== false && count > 1;
}

export function planRuntime(config: Config): RuntimeSpec {
  return {
    command: config.command,
    env: config.env,
    inputs: config.inputs,
    result: config.result,
    keep: config.keep,
    logs: config.logs,
    timeout: config.timeout,
    scratch: config.executor.scratch,
    parallel: config.executor.array.parallel,
  };
}

/**
 * The wall-clock limit of attempt `attempt` of a task in seconds (0 = none): runtime.timeout, grown by
 * executor.retry_scale.time per extra attempt as resources.time is (src/scheduler/resources.ts).
 */
export function attemptTimeout(plan: Pick<PlanFile, 'runtime' | 'executor'>, attempt: number): number {
  const { timeout } = plan.runtime;
  const factor = plan.executor.retry_scale?.time;
  if (timeout <= 0 || !factor || attempt <= 1) return timeout;
  // to the millisecond: the limit is quoted in failure reasons
  return Math.round(timeout * factor ** (attempt - 1) * 1000) / 1000;
}

/** Names of the parameters in config order. */
export function paramNames(config: Config): string[] {
  return Object.keys(config.parameters);
}

/** Scheduler job name of a chunk: carries the ensemble's name and id so its jobs can be found again. */
export function jobName(plan: Pick<PlanFile, 'name' | 'id'>, chunk: string): string {
  return `af-${plan.name}-${plan.id}-${chunk}`;
}

/** A slice of the array elements submitted as one array job, indexed 0..count-1 (+offset). */
export interface Chunk {
  chunk: number;
  /** First element of the chunk. */
  offset: number;
  /** Number of elements (array indexes 0..count-1). */
  count: number;
}

export interface ArrayLimits {
  /** Slurm's MaxArraySize / PBS max_array_size: indexes must be < this. */
  maxArraySize?: number;
  /** Jobs the controller holds at all (Slurm MaxJobCount). */
  maxJobCount?: number;
  /** Jobs this user may have queued (MaxSubmitJobs); each array element counts as one. */
  maxSubmitJobs?: number;
  /** CPUs that can run work (`sinfo -h -o %C`: allocated + idle, src/plan/slots.ts), when limits discovery asks. */
  cpus?: number;
}

/** Largest chunk the limits allow (config overrides win over what the cluster reports). */
export function chunkSize(limits: ArrayLimits, overrides: { max_array_size?: number; max_submit?: number }): number {
  const caps = [overrides.max_array_size ?? limits.maxArraySize, overrides.max_submit ?? limits.maxSubmitJobs, limits.maxJobCount];
  return Math.max(1, Math.min(...caps.map((c) => (c && c > 0 ? c : Infinity)), 1_000_000));
}

/** The label of chunk `n` in journal entries, script names and job names: `0003`. */
export function chunkLabel(n: number): string {
  return String(n).padStart(4, '0');
}

/** Splits `elements` array elements into chunks of at most `size`: ceil(elements / size) submissions. */
export function planChunks(elements: number, size: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let offset = 0, c = 0; offset < elements; offset += size, c++) {
    chunks.push({ chunk: c, offset, count: Math.min(size, elements - offset) });
  }
  return chunks;
}
