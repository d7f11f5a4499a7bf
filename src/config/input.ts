// The config as a plain object (ConfigInput), as the library's callers write it: the YAML file's shape and keys, typed, before validation (the schema and ./rules.ts have the last word); exported by src/index.ts.
import type { DatasetCompression, DatasetFormat } from './types.js';

type Scalar = string | number | boolean;

/**
 * A parameter's domain as written in a config: `{ uniform: [low, high] }`, `{ loguniform: [low, high] }`,
 * `{ int: [low, high] }`, `{ values: [...] }`, `{ value: x }` (`levels` with grid sampling of uniform/loguniform),
 * a bare scalar (a constant) or a bare list (values). See docs/config.md.
 */
export type ParameterInput =
  | Scalar
  | Scalar[]
  | { uniform: [number, number]; levels?: number }
  | { loguniform: [number, number]; levels?: number }
  | { int: [number, number] }
  | { values: Scalar[] }
  | { value: Scalar };

/** The stage-level keys of a multi-stage config (docs/stages.md); unset keys are inherited from the top level. */
export interface StageInput {
  name: string;
  after?: string;
  depend?: 'afterany' | 'afterok';
  command?: Array<string | number>;
  env?: Record<string, Scalar>;
  inputs?: ConfigInput['inputs'];
  result?: ConfigInput['result'];
  keep?: ConfigInput['keep'];
  timeout?: number | string;
  expected_task_time?: number | string;
  parameters?: Record<string, ParameterInput>;
  sampling?: ConfigInput['sampling'];
  resources?: NonNullable<ConfigInput['executor']>['resources'];
}

/**
 * A config as a plain object: the same shape and keys as the YAML file (docs/config.md), before validation.
 * The JSON Schema (configs/arrayflow.schema.json) and the validation rules have the last word; this type
 * catches misspelt keys and wrong types at compile time.
 */
export interface ConfigInput {
  name: string;
  /** Relative to the base directory (default `runs/<name>`). */
  ensemble_dir?: string;
  /** argv, never run through a shell; `{name}` placeholders are replaced per task. */
  command?: Array<string | number>;
  env?: Record<string, Scalar>;
  /** Paths relative to the base directory. */
  inputs?: { copy?: string[]; link?: string[]; dir?: string };
  /** `max_size`: bytes, or `512K`, `10M`, `1G` (default 1M); a larger result file fails its task. */
  result?: { file?: string; format?: 'json' | 'csv'; max_size?: number | string };
  keep?: 'all' | 'none' | string[];
  /** Whose stdout/stderr are kept in logs/tasks/ (last 1 MiB each): `failed` (default), `all` or `none`. */
  logs?: 'none' | 'failed' | 'all';
  dataset?: { formats?: DatasetFormat[]; compression?: DatasetCompression };
  /** Seconds, or a string such as `90s`, `10m`, `2h`, `HH:MM:SS`. */
  timeout?: number | string;
  expected_task_time?: number | string;
  parameters?: Record<string, ParameterInput>;
  sampling?: {
    method: 'grid' | 'list' | 'random' | 'lhs' | 'sobol';
    samples?: number;
    seed?: number;
    batch?: number;
    file?: string;
    points?: Array<Record<string, Scalar>>;
    scramble?: boolean;
    replicates?: number;
  };
  adaptive?: { command: Array<string | number>; batch?: number; budget: number };
  /** Run once before the first task of the ensemble and before a smoke run, in the ensemble directory. */
  prologue?: { command: Array<string | number> };
  /** `require_clean_git: true` refuses to run while the simulation's or the config's repository is dirty (docs/provenance.md). */
  provenance?: { require_clean_git?: boolean };
  executor?: {
    type?: 'local' | 'slurm' | 'pbs';
    workers?: number;
    dialect?: 'pro' | 'torque';
    host?: string;
    remote?: { dir: string; node?: string; arrayflow?: string; ssh_config?: string };
    resources?: {
      time?: string | number;
      mem?: string | number;
      cpus?: number;
      gpus?: number | string;
      partition?: string | number;
      account?: string | number;
      qos?: string | number;
      extra?: Record<string, Scalar>;
    };
    array?: { throttle?: number; bundle?: number; target_element_time?: number | string; parallel?: number; max_array_size?: number; max_submit?: number };
    scratch?: string;
    setup?: string[];
    retries?: number;
    retry_on?: string[];
    retry_scale?: { time?: number; mem?: number };
  };
  stages?: StageInput[];
}
