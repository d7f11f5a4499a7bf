// The validated, normalised configuration: the shape every later stage (sampling, plan, executors) reads.

/** A parameter's domain, after normalisation of the YAML shorthand. */
export type ParamSpec =
  | { kind: 'uniform'; low: number; high: number; levels?: number }
  | { kind: 'loguniform'; low: number; high: number; levels?: number }
  | { kind: 'int'; low: number; high: number }
  | { kind: 'values'; values: Array<string | number | boolean> }
  | { kind: 'const'; value: string | number | boolean };

export type SamplingMethod = 'grid' | 'list' | 'random' | 'lhs' | 'sobol';

export interface SamplingSpec {
  method: SamplingMethod;
  /** Budget: number of points for random/lhs/sobol; a cap for grid/list (all points when absent). */
  samples?: number;
  seed: number;
  /** Tasks are numbered in batches of this size (the batch column of the task table). */
  batch?: number;
  /** For method `list`: absolute path of a CSV or JSON file of points. */
  file?: string;
  /** For method `list`: inline points. */
  points?: Array<Record<string, string | number | boolean>>;
  /** For method `sobol`: apply a seeded random digital shift. */
  scramble?: boolean;
  /** Repeat every point this many times (distinct task seeds). */
  replicates?: number;
}

export type KeepPolicy = 'all' | 'none' | string[];

/** Which tasks' stdout and stderr are kept under logs/tasks/ (the last {@link TASK_LOG_CAP} bytes of each). */
export type LogsPolicy = 'none' | 'failed' | 'all';

/** Whose logs are kept when the config does not say (and in plans written before `logs` existed). */
export const DEFAULT_LOGS: LogsPolicy = 'failed';

/** Bytes kept of a task's stdout and of its stderr: the last 1 MiB of each. */
export const TASK_LOG_CAP = 1024 * 1024;

/** A result file larger than this fails its task (`result too large`) unless result.max_size says otherwise. */
export const DEFAULT_RESULT_MAX_SIZE = 1024 * 1024;

export interface ResourceSpec {
  time?: string;
  mem?: string;
  cpus?: number;
  gpus?: number | string;
  partition?: string;
  account?: string;
  qos?: string;
  /** Extra scheduler directives, e.g. { constraint: "skylake" } -> #SBATCH --constraint=skylake */
  extra?: Record<string, string>;
}

export interface ArraySpec {
  /** At most this many array elements run at once (%throttle). */
  throttle?: number;
  /** Tasks run by one array element, when the config sets it (it wins); absent: chosen at plan time (src/plan/bundle.ts). */
  bundle?: number;
  /** Seconds an array element should run for when the bundle is chosen (absent: 10 minutes, src/plan/bundle.ts). */
  target_element_time?: number;
  /** Tasks of one bundle run at once inside the element. */
  parallel: number;
  /** Elements claim tasks and steal the unclaimed ones of their siblings (docs/claims.md); false: fixed slices. */
  steal: boolean;
  /** Override of the cluster's MaxArraySize (largest index + 1). */
  max_array_size?: number;
  /** Override of the number of jobs this user may have queued. */
  max_submit?: number;
}

/**
 * Every executor type: the local executor and each batch scheduler with a binding in src/executor/registry.ts
 * (the config schema's enum is checked against this list, and the CLI offers it).
 */
export const EXECUTOR_TYPES = ['local', 'slurm', 'pbs'] as const;

export type ExecutorType = (typeof EXECUTOR_TYPES)[number];

export interface ExecutorSpec {
  type: ExecutorType;
  /** Local executor: concurrent task workers (default: number of cores). */
  workers?: number;
  /** PBS dialect. */
  dialect?: 'pro' | 'torque';
  /** user@login (or an ssh_config alias) for SSH submission from a workstation. */
  host?: string;
  /** Where the ensemble lives on the cluster when submitting over SSH (docs/ssh.md). */
  remote?: RemoteSpec;
  resources: ResourceSpec;
  array: ArraySpec;
  /** Scratch root on the node; `auto` (the default): the first set of $SLURM_TMPDIR, $LOCAL_SCRATCH, $TMPDIR, else /tmp. */
  scratch: string;
  /** Shell lines written as they are into the job script before the task wrapper (module load, source venv/bin/activate). */
  setup?: string[];
  retries: number;
  /** Retry only failures whose reason is of these kinds (`timeout`, `node failure`, ...); all when absent. Never `cancelled` (records/owed.ts). */
  retry_on?: string[];
  /** Factors applied to resources.time / resources.mem per extra attempt. */
  retry_scale?: { time?: number; mem?: number };
  /** Batch schedulers: seconds between two status queries in steady state (default 30, at least 5; docs/watching.md). */
  poll?: number;
  /** Local executor: no new task starts while the machine's memory or CPU use is above these shares (0-1; docs/config.md). */
  caps?: Caps;
}

/** Shares (0-1] of the machine's memory in use and of its CPU time busy above which no new task starts. */
export interface Caps {
  memory?: number;
  cpu?: number;
}

/** The cluster side of an SSH run: the ensemble's copy on the shared filesystem and the tools there. */
export interface RemoteSpec {
  /** Ensemble directory on the cluster (absolute, or relative to the login home); required with host. */
  dir: string;
  /** Node binary on the cluster (default: `command -v node` on the login node). */
  node?: string;
  /** arrayflow's dist/cli/main.js on the cluster (default: ship this package into <dir>/.arrayflow/). */
  arrayflow?: string;
  /** ssh_config file to read instead of ~/.ssh/config (absolute after normalisation). */
  ssh_config?: string;
}

/** The dataset's output formats (config `dataset.formats`, `collect --format`); the schema's enum is checked against it. */
export const DATASET_FORMATS = ['parquet', 'csv', 'hdf5'] as const;

export type DatasetFormat = (typeof DATASET_FORMATS)[number];

/** The Parquet codecs (config `dataset.compression`) that parquet-wasm's build writes and readers of the field read. */
export const DATASET_COMPRESSIONS = ['snappy', 'zstd', 'gzip', 'brotli', 'lz4', 'none'] as const;

export type DatasetCompression = (typeof DATASET_COMPRESSIONS)[number];

/** Which dataset files `collect` writes and how (docs/dataset.md). */
export interface DatasetSpec {
  /** Parquet always among them: arrayflow reads dataset.parquet back (summary, report, adaptive rounds). */
  formats: DatasetFormat[];
  compression: DatasetCompression;
}

/** The dataset when the config does not say (and in plans written before `dataset` existed). */
export const DEFAULT_DATASET: DatasetSpec = { formats: ['parquet', 'csv'], compression: 'snappy' };

export interface InputsSpec {
  /** Files copied into the scratch dir (absolute paths after normalisation). */
  copy: string[];
  /** Files or dirs symlinked into the scratch dir. */
  link: string[];
  /** A directory whose contents are copied into the scratch dir. */
  dir?: string;
}

export interface ResultSpec {
  file: string;
  format: 'json' | 'csv';
  /**
   * A file (relative to the scratch dir) whose appearance means the task is complete: the result is read
   * and the record written then, and a simulation still running (a daemon) is terminated. Without it,
   * completion is the process exit. Not in the config schema yet (docs/watching.md).
   */
  marker?: string;
  /** Bytes: a larger result file fails the task (`result too large`) and is kept in outputs/<task>/, not parsed. */
  max_size: number;
}

/** Adaptive sampling: a proposer command run on the dataset between batches (docs/adaptive.md). */
export interface AdaptiveSpec {
  /** argv; placeholders {dataset}, {dataset_csv}, {count}, {round}, {ensemble}. */
  command: string[];
  /** Points asked for per round (default: the initial design's size). */
  batch?: number;
  /** Total tasks, the initial design included. */
  budget: number;
  /** Directory the command runs in (the config's). */
  cwd: string;
}

/** A one-time setup command run before the first task of an ensemble and before a smoke run (src/run/prologue.ts). */
export interface PrologueSpec {
  /** argv, run without a shell in the ensemble directory. */
  command: string[];
  /** The config's directory ($ARRAYFLOW_CONFIG_DIR). */
  config_dir: string;
}

/** Where a stage of a multi-stage ensemble sits in the chain (docs/stages.md). */
export interface StageSpec {
  name: string;
  /** The stage whose rows feed this one; null for the first stage. */
  after: string | null;
  /** How this stage's jobs wait for the upstream stage's jobs on a batch scheduler. */
  depend: 'afterany' | 'afterok';
}

/** What a run asks of the provenance it records (docs/provenance.md). */
export interface ProvenanceSpec {
  /** Refuse to plan or run while a repository holding the program, an input or the config is dirty. */
  require_clean_git: boolean;
}

export interface Config {
  /** Absolute path of the config file. */
  source: string;
  name: string;
  /** Absolute path of the ensemble directory. */
  ensemble_dir: string;
  /** argv; `{name}` placeholders are replaced per argument (parameters, task_id, task_seed). */
  command: string[];
  /** Extra environment for the command. */
  env: Record<string, string>;
  inputs: InputsSpec;
  result: ResultSpec;
  keep: KeepPolicy;
  /** Whose stdout/stderr are kept under logs/tasks/: none, failed tasks (the default) or all. */
  logs: LogsPolicy;
  /** The dataset files collect writes (formats, Parquet codec). */
  dataset: DatasetSpec;
  /** Per-task wall-clock limit in seconds (0 = none). */
  timeout: number;
  /** Expected seconds per task, when the config says: sizes the automatic bundle (src/plan/bundle.ts). */
  expected_task_time?: number;
  parameters: Record<string, ParamSpec>;
  sampling: SamplingSpec;
  executor: ExecutorSpec;
  adaptive?: AdaptiveSpec;
  /** Set when the config has a `provenance` section. */
  provenance?: ProvenanceSpec;
  /** Run once before the first task (a multi-stage ensemble: its first stage carries it). */
  prologue?: PrologueSpec;
  /** A multi-stage ensemble: one complete Config per stage, in order (their ensemble_dir is <ensemble_dir>/stages/<name>). */
  stages?: Config[];
  /** Set on each stage's Config. */
  stage?: StageSpec;
}

/** One sampled point: parameter name -> value. */
export type Point = Record<string, string | number | boolean>;
