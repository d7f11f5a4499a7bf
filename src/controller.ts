// The controller: plan (or re-open) an ensemble, run what has no final record, collect the dataset.
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { readRecordFiles } from './records/read.js';
import { selectFinal } from './records/select-final.js';
import { collect } from './collect/collect.js';
import { removeLiveParts, startLiveDataset } from './collect/follow.js';
import { followFinals } from './watch/records.js';
import { readConfig } from './config/load.js';
import { BatchRun, type BatchScheduler, type Dependency, type Submission, type UpstreamWatch, journalSubmissions, planSubmissions, renderSubmission } from './executor/batch.js';
import { runLocal } from './executor/local.js';
import { owedItems, reasonKind, retryPolicy } from './records/owed.js';
import { extendPlan } from './plan/extend.js';
import { slurmScheduler } from './executor/slurm.js';
import { pbsScheduler } from './executor/pbs.js';
import { ArrayflowError, SchedulerError } from './errors.js';
import { LocalTransport } from './transport/local.js';
import { appendJournal, readJournal, retryRequests } from './journal/journal.js';
import { acquireLock } from './journal/lock.js';
import { readTaskTable } from './plan/tasks.js';
import { type StagePlan, planFileFor, samplePlan, upstreamOf, writePlan } from './plan/write.js';
import { readPlan } from './plan/read.js';
import { EnsembleLayout } from './layout/layout.js';
import type { ExecutorSpec, ExecutorType } from './config/types.js';
import type { RemoteSetup } from './remote/index.js';
import type { Transport } from './transport/transport.js';
import type { TaskRecord } from './records/record.js';
import type { ElementStatus } from './scheduler/types.js';
import { hashConfig } from './plan/manifest.js';
import { type ArrayLimits, type PlanFile, chunkLabel } from './plan/plan.js';
import { writeFileAtomic } from './util/fs.js';

export interface Counts {
  total: number;
  done: number;
  failed: number;
  pending: number;
}

export interface Progress extends Counts {
  /** The stage these counts are of (multi-stage ensembles). */
  stage?: string;
  /** Tasks finished by this run so far, and seconds since it started. */
  finishedThisRun: number;
  elapsed_s: number;
  /** Estimated seconds to go (null until a task finished). */
  eta_s: number | null;
}

export interface RunOptions {
  /** Overrides executor.type of the config. */
  executor?: ExecutorType;
  /** Runs scheduler commands (default: on this host; with a host, an SSH connection to it). */
  transport?: Transport;
  /** Submit over SSH from this workstation to this login node (overrides executor.host; needs executor.remote.dir). */
  host?: string;
  /** Called once the cluster copy of the ensemble is ready (SSH runs). */
  onRemote?: (info: RemoteSetup & {
    host: string;
  }) => void;
  /** Scheduler poll interval bounds (ms). */
  tickMs?: {
    min: number;
    max: number;
  };
  onSubmit?: (s: Submission) => void;
  workers?: number;
  runId?: string;
  onPlanned?: (info: {
    ensembleDir: string;
    tasks: number;
    created: boolean;
    toRun: number;
  }) => void;
  onProgress?: (p: Progress) => void;
  /** An adaptive round added points (docs/adaptive.md). */
  onAdaptive?: (a: { round: number; points: number; tasks: number; budget: number }) => void;
  signal?: AbortSignal;
}

export interface RunResult extends Counts {
  ensembleDir: string;
  parquet: string;
  csv: string;
  badLines: number;
}

export function newRunId(): string {
  return `${Date.now().toString(36)}-${process.pid}`;
}

/** Final records of every task that has one. */
export async function readFinals(layout: EnsembleLayout): Promise<Map<number, TaskRecord>> {
  const { records } = await readRecordFiles(layout.resultsDir);
  return selectFinal(records);
}

export function countFinals(plan: PlanFile, finals: Map<number, TaskRecord>): Counts {
  let done = 0;
  let failed = 0;
  for (const r of finals.values()) {
    if (r.status === 'done') done++;
    else failed++;
  }
  return { total: plan.tasks, done, failed, pending: plan.tasks - done - failed };
}

/** logs/failures.ndjson: per failed task its parameters, reason, exit code and stderr tail (derived; rewritten whole). */
async function writeFailuresLog(layout: EnsembleLayout, finals: Map<number, TaskRecord>): Promise<void> {
  const lines: string[] = [];
  const failed = [...finals.values()].filter((r) => r.status === 'failed').sort((a, b) => a.task - b.task);
  if (failed.length === 0) return writeFileAtomic(layout.failuresLog, '');
  const rows = await readTaskTable(layout);
  for (const r of failed) {
    lines.push(JSON.stringify({ task: r.task, attempt: r.attempt, params: rows[r.task]?.params, reason: r.reason, exit_code: r.exit_code, stderr_tail: r.stderr_tail ?? '' }));
  }
  await writeFileAtomic(layout.failuresLog, lines.join('\n') + '\n');
}

/** Collects the dataset of an ensemble and rewrites its failures log. */
export async function collectEnsemble(layout: EnsembleLayout, plan: PlanFile): Promise<RunResult> {
  return (await collectWithFinals(layout, plan)).result;
}

/** collectEnsemble, also returning the final records it read (a multi-stage collection builds the root's rows from them). */
export async function collectWithFinals(layout: EnsembleLayout, plan: PlanFile): Promise<{ result: RunResult; finals: Map<number, TaskRecord> }> {
  const c = await collect(layout.root, plan.param_names);
  // the parts of an earlier live view are superseded (left alone while a live process keeps them)
  await removeLiveParts(layout);
  const finals = await readFinals(layout);
  await writeFailuresLog(layout, finals);
  appendJournal(layout.journal, { event: 'collected', rows: c.rows, done: c.done, failed: c.failed });
  return { result: { ensembleDir: layout.root, ...countFinals(plan, finals), parquet: c.parquet, csv: c.csv, badLines: c.badLines }, finals };
}

/** `arrayflow run`: plan (or re-open) the ensemble of a config, run what is pending, collect. */
export async function runEnsemble(configPath: string, opts: RunOptions = {}): Promise<RunResult> {
  const config = await readConfig(configPath);
  const text = await readFile(configPath, 'utf8');
  if (config.stages) return (await import('./stages.js')).runStagedConfig(config, text, opts);
  const { layout, plan, created } = await writePlan(config, text);
  const result = await runPlanned(layout, plan, config.executor, created, opts);
  // the config's proposer wins over the plan's: raising adaptive.budget and running again goes on
  if (!config.adaptive) return result;
  return (await import('./adaptive.js')).runAdaptive(layout, { plan, result }, config.adaptive, config.executor, opts);
}

/**
* `arrayflow resume <ensemble>`: continue a planned ensemble from its directory alone (plan.json holds the
* executor section), e.g. after the controller or the login node died: re-attaches to submitted jobs,
* submits only what never ran, collects what finished meanwhile.
*/
export async function resumeEnsemble(ensembleDir: string, opts: RunOptions = {}): Promise<RunResult> {
  const stages = await import('./stages.js');
  const file = await stages.readStages(ensembleDir);
  if (file) return stages.resumeStages(ensembleDir, file, opts);
  const { layout, plan } = await readPlan(ensembleDir);
  const result = await runPlanned(layout, plan, plan.executor, false, opts);
  if (!plan.adaptive) return result;
  return (await import('./adaptive.js')).runAdaptive(layout, { plan, result }, plan.adaptive, plan.executor, opts);
}

/** How a stage of a multi-stage ensemble waits for its upstream on a batch scheduler (src/stages.ts). */
export interface StageChain {
  after?: Promise<Dependency>;
  onStarted?: (activeJobIds: string[]) => void;
  upstream?: UpstreamWatch;
}

/** Runs the pending work of a planned ensemble with `executor` (resources and limits as they are now). */
export async function runPlanned(layout: EnsembleLayout, plan: PlanFile, executor: ExecutorSpec, created: boolean, opts: RunOptions, chain: StageChain = {}): Promise<RunResult> {
  const config = { executor };
  const lock = await acquireLock(layout.lock);
  // dataset/ is kept current while tasks finish, unless a `collect --follow` does it already (docs/watching.md);
  // a failure there must not stop the run: the compaction at the end is the dataset
  let live = await startLiveDataset(layout, plan).catch(() => null);
  try {
    const runId = opts.runId ?? newRunId();
    const finals = await readFinals(layout);
    const policy = retryPolicy(executor.retries, executor.retry_on, retryRequests(await readJournal(layout.journal)));
    const items = owedItems(plan.tasks, finals, policy);
    opts.onPlanned?.({ ensembleDir: layout.root, tasks: plan.tasks, created, toRun: items.length });
    const counts = countFinals(plan, finals);
    const t0 = Date.now();
    let finishedThisRun = 0;
    appendJournal(layout.journal, { event: 'run_started', run: runId, executor: opts.executor ?? config.executor.type, pending: items.length });
    const report = () => {
      const elapsed = (Date.now() - t0) / 1000;
      const rate = finishedThisRun / Math.max(elapsed, 1e-3);
      opts.onProgress?.({ ...counts, finishedThisRun, elapsed_s: elapsed, eta_s: finishedThisRun > 0 ? counts.pending / rate : null });
    };
    report();
    const onRecord = (rec: TaskRecord) => {
      const prev = finals.get(rec.task);
      if (prev) counts[prev.status === 'done' ? 'done' : 'failed']--;
      else counts.pending--;
      finals.set(rec.task, rec);
      counts[rec.status === 'done' ? 'done' : 'failed']++;
      finishedThisRun++;
      report();
    };
    const type = opts.executor ?? config.executor.type;
    if (opts.host && type === 'local') {
      throw new ArrayflowError('E_USAGE', `--host ${opts.host} submits to a batch scheduler over SSH; set executor.type (slurm or pbs) or pass --executor slurm`);
    }
    if (type === 'local') {
      await runLocal(layout, plan, items, {
        workers: opts.workers ?? config.executor.workers ?? availableParallelism(),
        runId,
        signal: opts.signal,
        onRecord,
        policy,
      });
    } else {
      // resources and limits come from the config as it is now; the element layout (bundle) from the plan
      const effective: PlanFile = { ...plan, executor: { ...config.executor, array: { ...config.executor.array, bundle: plan.bundle } } };
      // from a workstation: one SSH connection for the whole run, and the ensemble's copy on the cluster (docs/ssh.md)
      const host = opts.host ?? config.executor.host;
      const remote = host ? await (await import('./remote/index.js')).openRemote(host, config.executor.remote, layout, plan, { transport: opts.transport }) : null;
      if (remote && host) opts.onRemote?.({ host, ...remote.setup });
      const transport = remote?.transport ?? opts.transport ?? new LocalTransport();
      const batch = new BatchRun(layout, effective, batchScheduler(type, config.executor.dialect), transport, followFinals(layout.resultsDir), {
        runId,
        policy,
        tickMs: opts.tickMs,
        signal: opts.signal,
        onSubmit: opts.onSubmit,
        ...chain,
        ...(remote ? { cluster: remote.cluster } : {}),
        onRecords: (latest) => {
          for (const rec of latest.values()) {
            const prev = finals.get(rec.task);
            if (!prev || prev.attempt !== rec.attempt || prev.status !== rec.status || prev.reason !== rec.reason) onRecord(rec);
          }
        },
      });
      try {
        await batch.run();
      } finally {
        if (!opts.transport) await transport.close();
      }
    }
    const result = await collectEnsemble(layout, plan);
    // the compacted dataset (from the records) supersedes the live parts
    await live?.release({ removeParts: true }).catch(() => undefined);
    live = null;
    appendJournal(layout.journal, { event: 'run_finished', run: runId, done: result.done, failed: result.failed, pending: result.pending });
    return result;
  } finally {
    await live?.release({ removeParts: false }).catch(() => undefined);
    await lock.release();
  }
}

/** Where scheduler commands run: here, or over SSH on the login node the ensemble was planned with (executor.host). */
async function schedulerTransport(executor: ExecutorSpec): Promise<Transport> {
  if (!executor.host) return new LocalTransport();
  return (await import('./remote/index.js')).connectLogin(executor.host, executor.remote);
}

export function batchScheduler(type: ExecutorType, dialect: 'pro' | 'torque' = 'pro'): BatchScheduler {
  if (type === 'slurm') return slurmScheduler;
  if (type === 'pbs') return pbsScheduler(dialect);
  throw new SchedulerError(`executor type '${type}' is not supported yet`);
}

/** Done / failed / pending counts of an ensemble directory. */
export async function ensembleStatus(ensembleDir: string): Promise<Counts & { ensembleDir: string; name: string }> {
  const { layout, plan } = await readPlan(ensembleDir);
  return { ensembleDir: layout.root, name: plan.name, ...countFinals(plan, await readFinals(layout)) };
}

export interface DryRun {
  tasks: number;
  elements: number;
  executor: ExecutorType;
  /** Why the cluster's limits were not used, when it could not be asked. */
  limitsNote: string | null;
  scripts: Array<{
    label: string;
    script: string;
  }>;
}

/**
 * What `plan` would submit: the scripts and the number of submissions, without writing or submitting anything.
 * For a multi-stage config, every stage's (labels `<stage>/<chunk>`; the job dependencies appear at submission).
 */
export async function dryRunPlan(configPath: string, opts: { executor?: ExecutorType; transport?: Transport } = {}): Promise<DryRun> {
  const config = await readConfig(configPath);
  const type = opts.executor ?? config.executor.type;
  const stages = config.stages ?? [config];
  const plans: StagePlan[] = [];
  for (const stage of stages) {
    const pointsFile = stage.sampling.file ? await readFile(stage.sampling.file) : null;
    const upstream = stage.stage && upstreamOf(stage.stage, stage.ensemble_dir, plans);
    const tasks = (await samplePlan(stage, upstream)).seeds.length;
    const plan = planFileFor(stage, hashConfig(stage, pointsFile), tasks, 'dryrun00', upstream?.spec);
    plans.push({ name: stage.stage?.name ?? '', plan, layout: new EnsembleLayout(stage.ensemble_dir) });
  }
  const tasks = plans.reduce((n, p) => n + p.plan.tasks, 0);
  const elements = plans.reduce((n, p) => n + p.plan.elements, 0);
  if (type === 'local') return { tasks, elements, executor: type, limitsNote: null, scripts: [] };
  const sched = batchScheduler(type, config.executor.dialect);
  const transport = opts.transport ?? new LocalTransport();
  let limits: ArrayLimits = {};
  let limitsNote: string | null = null;
  try {
    limits = await sched.readLimits(transport);
  } catch (e) {
    limitsNote = `could not read the cluster's limits (${(e as Error).message}); chunks use only the config's overrides`;
  } finally {
    if (!opts.transport) await transport.close();
  }
  const scripts = plans.flatMap(({ name, plan, layout }) =>
    planSubmissions(plan, limits).map((c) => {
      const label = chunkLabel(c.chunk);
      const script = renderSubmission(layout, plan, sched, { label, offset: c.offset, count: c.count, attempt: 1 }, plan.executor.array.throttle);
      return { label: name ? `${name}/${label}` : label, script };
    }),
  );
  return { tasks, elements, executor: type, limitsNote, scripts };
}

/** Cancels every submitted array job of an ensemble with one scheduler call. */
export async function cancelEnsemble(ensembleDir: string, opts: { transport?: Transport } = {}): Promise<string[]> {
  const { layout, plan } = await readPlan(ensembleDir);
  const ids = [...new Set((await journalSubmissions(layout)).map((s) => s.jobId))];
  if (ids.length === 0) return [];
  const sched = batchScheduler(plan.executor.type, plan.executor.dialect);
  const transport = opts.transport ?? (await schedulerTransport(plan.executor));
  try {
    const argv = sched.cancelArgv(ids);
    const r = await transport.run(argv);
    if (r.exitCode !== 0) throw sched.queryError(argv, r.stderr, r.exitCode);
  } finally {
    if (!opts.transport) await transport.close();
  }
  appendJournal(layout.journal, { event: 'cancelled', job_ids: ids });
  return ids;
}

export interface ChunkStatus {
  label: string;
  jobId: string;
  attempt: number;
  elements: number;
  counts: Record<string, number>;
}

/** Per submission, how many array elements the scheduler reports in each state (one status query). */
export async function chunkStatus(ensembleDir: string, opts: { transport?: Transport } = {}): Promise<ChunkStatus[]> {
  const { layout, plan } = await readPlan(ensembleDir);
  const subs = await journalSubmissions(layout);
  if (subs.length === 0 || plan.executor.type === 'local') return [];
  const sched = batchScheduler(plan.executor.type, plan.executor.dialect);
  const transport = opts.transport ?? (await schedulerTransport(plan.executor));
  let statuses: ElementStatus[];
  try {
    const limits = await sched.readLimits(transport);
    const argv = sched.statusArgv(subs.map((s) => s.jobId), limits.accounting);
    const r = await transport.run(argv);
    if (r.exitCode !== 0 && !sched.unknownJobs(r.stderr)) throw sched.queryError(argv, r.stderr, r.exitCode);
    statuses = r.exitCode === 0 ? sched.parseStatus(r.stdout, limits.accounting) : [];
  } finally {
    if (!opts.transport) await transport.close();
  }
  return subs.map((s) => {
    const counts: Record<string, number> = {};
    const byIndex = sched.statusByIndex(statuses, s.jobId);
    for (let i = 0; i < s.count; i++) {
      const state = byIndex.get(i)?.state ?? 'unknown';
      counts[state] = (counts[state] ?? 0) + 1;
    }
    return { label: s.label, jobId: s.jobId, attempt: s.attempt, elements: s.count, counts };
  });
}

/** `arrayflow extend`: adds `budget` tasks continuing the design, then runs what is owed (only the new tasks). */
export async function extendEnsemble(ensembleDir: string, budget: number, opts: RunOptions = {}): Promise<RunResult> {
  const { layout, plan } = await readPlan(ensembleDir);
  const lock = await acquireLock(layout.lock);
  try {
    await extendPlan(layout, plan, budget);
  } finally {
    await lock.release();
  }
  return resumeEnsemble(ensembleDir, opts);
}

/**
* `arrayflow retry --failed [--reason kind]`: asks for one more attempt of every failed task (of that failure
* kind), journals the request, then runs them. Earlier attempts stay in the record files and the journal.
*/
export async function retryEnsemble(ensembleDir: string, filter: { reason?: string }, opts: RunOptions = {}): Promise<RunResult & { retried: number }> {
  const { layout } = await readPlan(ensembleDir);
  const finals = await readFinals(layout);
  const tasks: Array<[number, number]> = [];
  for (const rec of finals.values()) {
    if (rec.status !== 'failed') continue;
    if (filter.reason && reasonKind(rec.reason) !== filter.reason) continue;
    tasks.push([rec.task, rec.attempt]);
  }
  tasks.sort((a, b) => a[0] - b[0]);
  if (tasks.length > 0) appendJournal(layout.journal, { event: 'retry', tasks });
  return { ...(await resumeEnsemble(ensembleDir, opts)), retried: tasks.length };
}

/** `arrayflow show`: the provenance manifest plus the hosts and job ids that ran tasks. */
export async function showEnsemble(ensembleDir: string): Promise<{ manifest: unknown; hosts: string[]; jobs: string[]; counts: Counts }> {
  const { layout, plan } = await readPlan(ensembleDir);
  const manifest = JSON.parse(await readFile(layout.manifest, 'utf8')) as unknown;
  const finals = await readFinals(layout);
  const hosts = [...new Set([...finals.values()].map((r) => r.host))].sort();
  const jobs = [...new Set((await journalSubmissions(layout)).map((s) => s.jobId))];
  return { manifest, hosts, jobs, counts: countFinals(plan, finals) };
}
