// Slurm limits discovery as data: `scontrol show config`, then `sacctmgr` only when accounting enforces limits; argv, parsers and the steps.
import { SchedulerError } from '../../errors.js';
import type { LimitsQuery } from '../contract.js';
import { parseSinfoPartitionCpus, usableCpus } from '../../plan/slots.js';
import { classifyQueryError } from './errors.js';

/** What arrayflow needs from `scontrol show config`. */
export interface SlurmConfig {
  /** Array indexes must be < maxArraySize (it caps the largest INDEX, not the count). */
  maxArraySize?: number;
  /** SchedulerParameters max_array_tasks: most elements one array may have (MaxArraySize caps the largest index). */
  maxArrayTasks?: number;
  /** Most jobs (each array task counts) the controller holds at once. */
  maxJobCount?: number;
  /** Seconds a finished job stays visible to squeue/scontrol. */
  minJobAge?: number;
  /** true when sacct works (AccountingStorageType is not accounting_storage/none). */
  accounting: boolean;
  /** true when association/QOS limits are enforced (AccountingStorageEnforce has limits, qos or safe). */
  limitsEnforced: boolean;
  clusterName?: string;
  /** e.g. `22.05.8`. */
  version?: string;
}

/** argv for the controller's configuration. */
export function scontrolConfigArgv(): string[] {
  return ['scontrol', 'show', 'config'];
}

function leadingInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*([0-9]+)/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Parses `scontrol show config` ("Key = value" lines; MinJobAge reads "300 sec"). */
export function parseScontrolConfig(stdout: string): SlurmConfig {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*=\s?(.*)$/.exec(line.trimEnd());
    if (m && !kv.has(m[1])) kv.set(m[1], m[2].trim());
  }
  if (!kv.has('ClusterName') && !kv.has('MaxArraySize') && !kv.has('AccountingStorageType')) {
    throw new SchedulerError(
      `scontrol show config printed no configuration: "${stdout.trim().slice(0, 500)}"`,
    );
  }
  const storage = kv.get('AccountingStorageType') ?? '';
  const enforce = (kv.get('AccountingStorageEnforce') ?? '').toLowerCase();
  const config: SlurmConfig = {
    accounting: storage !== '' && storage !== '(null)' && !/accounting_storage\/none/.test(storage),
    limitsEnforced: /\b(limits|qos|safe)\b/.test(enforce),
  };
  const maxArraySize = leadingInt(kv.get('MaxArraySize'));
  const maxJobCount = leadingInt(kv.get('MaxJobCount'));
  const minJobAge = leadingInt(kv.get('MinJobAge'));
  if (maxArraySize !== undefined) config.maxArraySize = maxArraySize;
  if (maxJobCount !== undefined) config.maxJobCount = maxJobCount;
  if (minJobAge !== undefined) config.minJobAge = minJobAge;
  const maxArrayTasks = leadingInt(/(?:^|,)\s*max_array_tasks=([^,]*)/.exec(kv.get('SchedulerParameters') ?? '')?.[1]);
  if (maxArrayTasks !== undefined && maxArrayTasks > 0) config.maxArrayTasks = maxArrayTasks;
  const cluster = kv.get('ClusterName');
  if (cluster && cluster !== '(null)') config.clusterName = cluster;
  const version = kv.get('SLURM_VERSION');
  if (version) config.version = version;
  return config;
}

/** The first Slurm release whose squeue has `--only-job-state` (the state-only RPC). */
const STATE_ONLY_SINCE: readonly [number, number] = [23, 11];

/** Whether a Slurm version (`23.11.4`, `24.05.0-0rc1`) has `squeue --only-job-state`; unknown versions do not. */
export function hasStateOnlySqueue(version: string | undefined): boolean {
  const m = /^\s*([0-9]+)\.([0-9]+)/.exec(version ?? '');
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > STATE_ONLY_SINCE[0] || (major === STATE_ONLY_SINCE[0] && minor >= STATE_ONLY_SINCE[1]);
}

/**
 * The most elements one chunk may have. Chunks are indexed from 0, so a chunk of c elements has largest index c - 1:
 * MaxArraySize (indexes < it) and max_array_tasks (elements <= it) both cap c, and the smaller one is the chunk limit.
 */
export function chunkCap(config: Pick<SlurmConfig, 'maxArraySize' | 'maxArrayTasks'>): number | undefined {
  const caps = [config.maxArraySize, config.maxArrayTasks].filter((c): c is number => c !== undefined && c > 0);
  return caps.length > 0 ? Math.min(...caps) : undefined;
}

const USER_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*$/;

/** argv for the user's submit limits from the accounting database (one line per association). */
export function sacctmgrLimitsArgv(user: string): string[] {
  if (!USER_RE.test(user)) throw new SchedulerError(`sacctmgr: "${user}" is not a valid user name`);
  return [
    'sacctmgr', '-n', '-P', 'show', 'assoc', `user=${user}`,
    'format=Cluster,Account,Partition,MaxSubmitJobs,GrpSubmitJobs',
  ];
}

/**
 * Parses sacctmgrLimitsArgv output (`cluster|account|partition|MaxSubmitJobs|GrpSubmitJobs`, empty
 * field = no limit) into the smallest submit limit over the user's associations, optionally only
 * those of one cluster. Limits set on parent accounts or QOS are not included; they only bind when
 * `limitsEnforced` (see parseScontrolConfig).
 */
export function parseSacctmgrLimits(stdout: string, options: { cluster?: string } = {}): { maxSubmitJobs?: number } {
  let min: number | undefined;
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.trim().split('|');
    if (f.length !== 5) {
      throw new SchedulerError(`cannot parse sacctmgr line "${line.trim()}" (expected 5 fields separated by |)`);
    }
    if (options.cluster !== undefined && f[0] !== options.cluster) continue;
    for (const v of [f[3], f[4]]) {
      const n = leadingInt(v);
      if (n !== undefined && (min === undefined || n < min)) min = n;
    }
  }
  return min === undefined ? {} : { maxSubmitJobs: min };
}

/** argv for the CPUs of every partition (the default one marked `*`): how many elements the cluster runs at once. */
export function sinfoCpusArgv(): string[] {
  return ['sinfo', '-h', '-o', '%P %C'];
}

/**
 * Limits discovery for `user`: `scontrol show config` (MaxArraySize and max_array_tasks as one chunk cap, MaxJobCount,
 * accounting, and from the version whether squeue can ask for states only), then — only when
 * accounting enforces association limits — the user's MaxSubmitJobs from sacctmgr (a failed sacctmgr means none),
 * then the default partition's usable CPUs from sinfo (what the automatic bundle calls slots; unknown when it fails).
 */
export function slurmLimits(user: string): LimitsQuery {
  const argv = scontrolConfigArgv();
  return {
    argv,
    next(r) {
      if (r instanceof Error) throw r;
      if (r.exitCode !== 0) throw classifyQueryError(argv, r.stderr, r.exitCode);
      const config = parseScontrolConfig(r.stdout);
      const limits = (maxSubmitJobs: number | undefined, cpus: number | undefined) => ({
        maxArraySize: chunkCap(config),
        maxJobCount: config.maxJobCount,
        maxSubmitJobs,
        accounting: config.accounting,
        ...(cpus === undefined ? {} : { cpus }),
        ...(hasStateOnlySqueue(config.version) ? { stateOnly: true } : {}),
      });
      const cpus = (maxSubmitJobs?: number): LimitsQuery => ({
        argv: sinfoCpusArgv(),
        mayBeMissing: true,
        next(q) {
          const found = q instanceof Error || q.exitCode !== 0 ? null : parseSinfoPartitionCpus(q.stdout);
          return { limits: limits(maxSubmitJobs, found === null ? undefined : usableCpus(found)) };
        },
      });
      if (!(config.accounting && config.limitsEnforced)) return cpus();
      return {
        argv: sacctmgrLimitsArgv(user),
        next(q) {
          if (q instanceof Error) throw q;
          return cpus(q.exitCode === 0 ? parseSacctmgrLimits(q.stdout, { cluster: config.clusterName }).maxSubmitJobs : undefined);
        },
      };
    },
  };
}
