// Schema-valid raw config data -> the normalised Config: defaults applied, shorthands expanded, paths made absolute.

import * as path from 'node:path';
import type {
  ArraySpec,
  Config,
  DatasetCompression,
  DatasetFormat,
  DatasetSpec,
  ExecutorSpec,
  ExecutorType,
  InputsSpec,
  KeepPolicy,
  LogsPolicy,
  ParamSpec,
  RemoteSpec,
  ResourceSpec,
  ResultSpec,
  SamplingMethod,
  SamplingSpec,
} from './types.js';
import { DEFAULT_DATASET, DEFAULT_LOGS, DEFAULT_RESULT_MAX_SIZE } from './types.js';

type Raw = Record<string, unknown>;
type Scalar = string | number | boolean;

const asRaw = (x: unknown): Raw => (x ?? {}) as Raw;

/**
 * Build the Config from data that passed validation (schema and rules). `file` is the config's path;
 * relative paths in the config are resolved against its directory.
 */
export function normaliseConfig(raw: Raw, file: string): Config {
  const source = path.resolve(file);
  const dir = path.dirname(source);
  const abs = (p: string) => path.resolve(dir, p);
  const name = raw.name as string;
  const adaptive = raw.adaptive === undefined ? undefined : asRaw(raw.adaptive);
  return {
    ...(adaptive
      ? {
          adaptive: {
            command: (adaptive.command as Array<string | number>).map(String),
            ...(adaptive.batch === undefined ? {} : { batch: adaptive.batch as number }),
            budget: adaptive.budget as number,
            cwd: dir,
          },
        }
      : {}),
    ...(raw.prologue === undefined ? {} : { prologue: { command: (asRaw(raw.prologue).command as Array<string | number>).map(String), config_dir: dir } }),
    ...(raw.provenance === undefined ? {} : { provenance: { require_clean_git: asRaw(raw.provenance).require_clean_git === true } }),
    source,
    name,
    ensemble_dir: abs((raw.ensemble_dir as string | undefined) ?? path.join('runs', name)),
    command: (raw.command as Array<string | number>).map(String),
    env: Object.fromEntries(Object.entries(asRaw(raw.env)).map(([k, v]) => [k, String(v)])),
    inputs: normaliseInputs(asRaw(raw.inputs), abs),
    result: normaliseResult(asRaw(raw.result)),
    keep: (raw.keep as KeepPolicy | undefined) ?? 'none',
    logs: (raw.logs as LogsPolicy | undefined) ?? DEFAULT_LOGS,
    dataset: normaliseDataset(asRaw(raw.dataset)),
    timeout: raw.timeout === undefined ? 0 : parseDuration(raw.timeout as number | string),
    ...(raw.expected_task_time === undefined ? {} : { expected_task_time: parseDuration(raw.expected_task_time as number | string) }),
    parameters: Object.fromEntries(
      Object.entries(asRaw(raw.parameters)).map(([k, v]) => [k, normaliseParam(v)]),
    ),
    sampling: normaliseSampling(asRaw(raw.sampling), abs),
    executor: normaliseExecutor(asRaw(raw.executor), abs),
  };
}

function normaliseDataset(raw: Raw): DatasetSpec {
  return {
    formats: [...((raw.formats as DatasetFormat[] | undefined) ?? DEFAULT_DATASET.formats)],
    compression: (raw.compression as DatasetCompression | undefined) ?? DEFAULT_DATASET.compression,
  };
}

function normaliseInputs(raw: Raw, abs: (p: string) => string): InputsSpec {
  const inputs: InputsSpec = {
    copy: ((raw.copy as string[] | undefined) ?? []).map(abs),
    link: ((raw.link as string[] | undefined) ?? []).map(abs),
  };
  if (raw.dir !== undefined) inputs.dir = abs(raw.dir as string);
  return inputs;
}

function normaliseResult(raw: Raw): ResultSpec {
  const file = (raw.file as string | undefined) ?? 'result.json';
  const format = (raw.format as ResultSpec['format'] | undefined) ?? (/\.csv$/i.test(file) ? 'csv' : 'json');
  const max = raw.max_size as number | string | undefined;
  return { file, format, max_size: max === undefined ? DEFAULT_RESULT_MAX_SIZE : parseSize(max) };
}

/** Bytes from a number (bytes) or a string with a binary unit: `512K`, `10M`, `1G` (the schema admits only these). */
export function parseSize(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)([KMG])$/i.exec(v) as RegExpExecArray;
  return Number(m[1]) * 1024 ** ('KMG'.indexOf(m[2].toUpperCase()) + 1);
}

/**
 * Seconds from a number (seconds) or a string: `90s`, `10m`, `2h`, `1d`, or Slurm's time syntax — `MM`, `MM:SS`,
 * `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS` (a bare number in a string is minutes, as in `--time=30`). The schema
 * admits only these forms (which of them depends on the key).
 */
export function parseDuration(v: number | string): number {
  if (typeof v === 'number') return v;
  const unit = /^(\d+(?:\.\d+)?)([smhd])$/.exec(v);
  if (unit) return Number(unit[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[unit[2] as 's' | 'm' | 'h' | 'd'];
  const days = /^(\d+)-(.+)$/.exec(v);
  // after a day count the first field is hours: D-HH, D-HH:MM, D-HH:MM:SS
  const hms = days ? days[2].split(':').map(Number) : [];
  if (days) return Number(days[1]) * 86400 + hms.reduce((acc, n, i) => acc + n * 60 ** (2 - i), 0);
  const parts = v.split(':').map(Number);
  if (parts.length === 1) return parts[0] * 60;
  return parts.reduce((acc, n) => acc * 60 + n, 0);
}

/** Expand the shorthands: a bare list is `values`, a bare scalar is a constant. */
export function normaliseParam(v: unknown): ParamSpec {
  if (Array.isArray(v)) return { kind: 'values', values: v as Scalar[] };
  if (typeof v !== 'object' || v === null) return { kind: 'const', value: v as Scalar };
  const p = v as Raw;
  const levels = p.levels as number | undefined;
  const withLevels = <T extends object>(spec: T) => (levels === undefined ? spec : { ...spec, levels });
  if (p.uniform !== undefined) {
    const [low, high] = p.uniform as [number, number];
    return withLevels({ kind: 'uniform' as const, low, high });
  }
  if (p.loguniform !== undefined) {
    const [low, high] = p.loguniform as [number, number];
    return withLevels({ kind: 'loguniform' as const, low, high });
  }
  if (p.int !== undefined) {
    const [low, high] = p.int as [number, number];
    return { kind: 'int', low, high };
  }
  if (p.values !== undefined) return { kind: 'values', values: p.values as Scalar[] };
  return { kind: 'const', value: p.value as Scalar };
}

function normaliseSampling(raw: Raw, abs: (p: string) => string): SamplingSpec {
  const s: SamplingSpec = { method: raw.method as SamplingMethod, seed: (raw.seed as number | undefined) ?? 0 };
  if (raw.samples !== undefined) s.samples = raw.samples as number;
  if (raw.batch !== undefined) s.batch = raw.batch as number;
  if (raw.file !== undefined) s.file = abs(raw.file as string);
  if (raw.points !== undefined) s.points = raw.points as SamplingSpec['points'];
  if (raw.scramble !== undefined) s.scramble = raw.scramble as boolean;
  if (raw.replicates !== undefined) s.replicates = raw.replicates as number;
  return s;
}

function normaliseExecutor(raw: Raw, abs: (p: string) => string): ExecutorSpec {
  const type = (raw.type as ExecutorType | undefined) ?? 'local';
  const e: ExecutorSpec = {
    type,
    resources: normaliseResources(asRaw(raw.resources)),
    array: normaliseArray(asRaw(raw.array)),
    scratch: (raw.scratch as string | undefined) ?? 'auto',
    retries: (raw.retries as number | undefined) ?? 0,
  };
  if (raw.setup !== undefined) e.setup = [...(raw.setup as string[])];
  if (raw.workers !== undefined) e.workers = raw.workers as number;
  if (type === 'pbs') e.dialect = (raw.dialect as ExecutorSpec['dialect']) ?? 'pro';
  if (raw.host !== undefined) e.host = raw.host as string;
  if (raw.remote !== undefined) e.remote = normaliseRemote(asRaw(raw.remote), abs);
  if (raw.retry_on !== undefined) e.retry_on = raw.retry_on as string[];
  if (raw.poll !== undefined) e.poll = raw.poll as number;
  if (raw.caps !== undefined) {
    const caps = asRaw(raw.caps);
    e.caps = {};
    if (caps.memory !== undefined) e.caps.memory = share(caps.memory as number | string);
    if (caps.cpu !== undefined) e.caps.cpu = share(caps.cpu as number | string);
  }
  if (raw.retry_scale !== undefined) {
    const scale = asRaw(raw.retry_scale);
    e.retry_scale = {};
    if (scale.time !== undefined) e.retry_scale.time = scale.time as number;
    if (scale.mem !== undefined) e.retry_scale.mem = scale.mem as number;
  }
  return e;
}

/** A percentage (`90%`, or the number 90) as a share: 0.9. */
function share(v: number | string): number {
  return (typeof v === 'number' ? v : Number(v.slice(0, -1))) / 100;
}

/** Cluster paths stay as written (they name files over there); only the local ssh_config is made absolute. */
function normaliseRemote(raw: Raw, abs: (p: string) => string): RemoteSpec {
  const r: RemoteSpec = { dir: raw.dir as string };
  if (raw.node !== undefined) r.node = raw.node as string;
  if (raw.arrayflow !== undefined) r.arrayflow = raw.arrayflow as string;
  if (raw.ssh_config !== undefined) r.ssh_config = abs(raw.ssh_config as string);
  return r;
}

function normaliseResources(raw: Raw): ResourceSpec {
  const r: ResourceSpec = {};
  // YAML reads `time: 30`, `mem: 4096` or `account: 12345` as numbers; directives are text.
  if (raw.time !== undefined) r.time = String(raw.time);
  if (raw.mem !== undefined) r.mem = String(raw.mem);
  if (raw.cpus !== undefined) r.cpus = raw.cpus as number;
  if (raw.gpus !== undefined) r.gpus = raw.gpus as number | string;
  if (raw.partition !== undefined) r.partition = String(raw.partition);
  if (raw.account !== undefined) r.account = String(raw.account);
  if (raw.qos !== undefined) r.qos = String(raw.qos);
  if (raw.extra !== undefined) {
    r.extra = Object.fromEntries(Object.entries(asRaw(raw.extra)).map(([k, v]) => [k, String(v)]));
  }
  return r;
}

function normaliseArray(raw: Raw): ArraySpec {
  const a: ArraySpec = {
    parallel: (raw.parallel as number | undefined) ?? 1,
    steal: (raw.steal as boolean | undefined) ?? true,
  };
  if (raw.bundle !== undefined) a.bundle = raw.bundle as number;
  if (raw.target_element_time !== undefined) a.target_element_time = parseDuration(raw.target_element_time as number | string);
  if (raw.throttle !== undefined) a.throttle = raw.throttle as number;
  if (raw.max_array_size !== undefined) a.max_array_size = raw.max_array_size as number;
  if (raw.max_submit !== undefined) a.max_submit = raw.max_submit as number;
  return a;
}
