// The public entry point of arrayflow (`import { run } from 'arrayflow'`): named, typed wrappers over src/run/ and src/config/; nothing here prints or exits.
import { resolve } from 'node:path';
import { readConfig as readConfigFromFile, readConfigFile, readConfigObject, validateConfigObject } from './config/load.js';
import type { ConfigInput } from './config/input.js';
import type { Config, DatasetFormat } from './config/types.js';
import { validateConfig as validateText } from './config/validate.js';
import type { ConfigIssue } from './errors.js';
import { type CancelResult, cancelEnsemble } from './run/cancel.js';
import { collectEnsembleDir } from './run/collect.js';
import { extendEnsemble } from './run/extend.js';
import { openTarget, planConfig } from './run/plan.js';
import { type ReproduceOptions, type ReproduceRunOptions, prepareReproduction, renderReproduction, runReproduction } from './run/reproduce.js';
import { resumeEnsemble } from './run/resume.js';
import { retryEnsemble } from './run/retry.js';
import { runConfig, runEnsemble } from './run/run.js';
import { type EnsembleShow, showEnsemble } from './run/show.js';
import { type SmokeOptions, type SmokeResult, smokeConfig } from './run/smoke.js';
import { type FailedTask, ensembleStatus, failedTasks, stagesStatus } from './run/status.js';
import { summarizeEnsemble } from './run/summary.js';
import { type ReportOptions, type ReportResult, writeReport } from './report/report.js';
import type { Counts, ExtendRequest, RunOptions as OperationOptions, RunResult as InternalRunResult } from './run/types.js';
import type { Transport } from './transport/transport.js';
import type { EnsembleSummary, SummaryOptions } from './collect/summary.js';

export {
  ArrayflowError,
  ConfigError,
  DataError,
  EnsembleError,
  SchedulerError,
  StorageError,
  TransportError,
  UpstreamError,
  UsageError,
  formatIssue,
  type ConfigIssue,
  type ErrorCode,
  type ErrorOptions,
} from './errors.js';
export { DATASET_COMPRESSIONS, DATASET_FORMATS, EXECUTOR_TYPES } from './config/types.js';
export type { ConfigInput, ParameterInput, StageInput } from './config/input.js';
export type {
  AdaptiveSpec,
  ArraySpec,
  Config,
  ExecutorSpec,
  ExecutorType,
  InputsSpec,
  KeepPolicy,
  ParamSpec,
  Point,
  PrologueSpec,
  RemoteSpec,
  ResourceSpec,
  ResultSpec,
  SamplingMethod,
  SamplingSpec,
  StageSpec,
} from './config/types.js';
export type { Counts, ExtendRequest, LogLevel, Progress, SettingsUpdate } from './run/types.js';
export type { ExecutionSettings } from './plan/settings.js';
export type { SettingChange } from './journal/journal.js';
export type { FileRole, Provenance, RepoProvenance, StagedFile } from './provenance/provenance.js';
export type { FailedTask } from './run/status.js';
export type { CancelResult } from './run/cancel.js';
export type { ReproduceOptions, ReproduceRunOptions } from './run/reproduce.js';
export type { SmokeOptions, SmokeResult, SmokeStage, SmokeTask } from './run/smoke.js';
export type { BundleChoice } from './plan/bundle.js';
export type { TaskRecord, TaskStatus } from './records/record.js';
export type { ColumnSummary, EnsembleSummary, KeyValue, SummaryGroup, SummaryOptions } from './collect/summary.js';
export type { ReportOptions, ReportResult } from './report/report.js';
export type { CommandResult, Transport } from './transport/transport.js';
export type { Submission } from './executor/batch.js';
export type { RemoteSetup } from './remote/cluster.js';
export type { UploadResult } from './remote/upload.js';

/**
 * Options of {@link resume}, {@link extend} and {@link retry} (and of {@link run}, which adds `baseDir`):
 * executor override, workers, callbacks for progress and submissions, an AbortSignal to stop (running tasks
 * finish; {@link resume} continues). The callbacks are the only way the library reports while it works.
 */
export type ResumeOptions = OperationOptions;

/** Options of {@link run}. */
export interface RunOptions extends OperationOptions {
  /**
   * Where the relative paths of a config *object* resolve (ensemble_dir, inputs, sampling.file), and the directory
   * of its virtual file `<baseDir>/arrayflow.config` named in issues. Default: `process.cwd()`. Ignored for a path:
   * a config file's relative paths resolve against its own directory.
   */
  baseDir?: string;
}

/** Options of {@link plan} and {@link validateConfig}. */
export interface PlanOptions {
  /** As {@link RunOptions.baseDir}. */
  baseDir?: string;
}

/** The outcome of {@link run}, {@link resume}, {@link extend} and {@link collect}. */
export interface RunResult extends Counts {
  /** Absolute path of the ensemble directory. */
  ensembleDir: string;
  /** The dataset: one row per task (done or failed), parameters then results; csv and hdf5 when the config's `dataset.formats` has them. */
  dataset: { parquet: string; csv?: string; hdf5?: string };
  /** Record lines that could not be parsed (torn writes); 0 normally. */
  badLines: number;
  /** Failed tasks that were cancelled (scancel, qdel, {@link cancel}): `retry(dir, { reason: 'cancelled' })` runs them again. */
  cancelled: number;
  /** The run was stopped by {@link cancel}: every task it still owed an attempt is a `cancelled` row. */
  stoppedByCancel?: boolean;
}

/** The outcome of {@link retry}. */
export interface RetryResult extends RunResult {
  /** Failed tasks given one more attempt. */
  retried: number;
}

/** One ensemble directory (or stage) as planned by {@link plan}. */
export interface PlannedEnsemble {
  /** Absolute path of the ensemble directory (of a stage: `<root>/stages/<name>`). */
  ensembleDir: string;
  /** The stage's name in a multi-stage ensemble. */
  stage?: string;
  tasks: number;
  /** Array elements (tasks / bundle, rounded up; the bundle is the config's or chosen at plan time). */
  elements: number;
  /** false when the directory already held a plan of the same config (nothing was written). */
  created: boolean;
}

/** The outcome of {@link plan}: the ensemble, and for a multi-stage config each stage. */
export interface PlanResult {
  /** Absolute path of the ensemble directory (the root for a multi-stage config). */
  ensembleDir: string;
  /** Tasks of every stage. */
  tasks: number;
  created: boolean;
  /** One entry per stage of a multi-stage config; absent for a single-stage one. */
  stages?: PlannedEnsemble[];
}

/** Counts of one stage of a multi-stage ensemble, in {@link EnsembleStatus.stages}. */
export interface StageStatus extends Counts {
  stage: string;
  /** `<root>/stages/<stage>`. */
  ensembleDir: string;
}

/** The outcome of {@link status}. */
export interface EnsembleStatus extends Counts {
  ensembleDir: string;
  name: string;
  /** Per stage of a multi-stage ensemble (the counts above are their sums); absent for a single-stage one. */
  stages?: StageStatus[];
}

/** The outcome of {@link show}: provenance, where the tasks ran, and the execution settings. */
export type EnsembleInfo = EnsembleShow;

/** The outcome of {@link validateConfig}: the normalised config, or every issue found (then `config` is null). */
export interface Validation {
  config: Config | null;
  issues: ConfigIssue[];
}

function toResult(r: InternalRunResult): RunResult {
  return {
    ensembleDir: r.ensembleDir,
    total: r.total,
    done: r.done,
    failed: r.failed,
    pending: r.pending,
    dataset: { parquet: r.parquet, ...(r.csv === undefined ? {} : { csv: r.csv }), ...(r.hdf5 === undefined ? {} : { hdf5: r.hdf5 }) },
    badLines: r.badLines,
    cancelled: r.cancelled,
    ...(r.stoppedByCancel ? { stoppedByCancel: true } : {}),
  };
}

/**
 * Plans (or re-opens) the ensemble of a config, runs every pending task with its executor, waits for them and
 * writes the dataset. Running it again on the same config resumes: finished tasks are not run twice.
 *
 * `config` is the path of a YAML config file, or a config object of the same shape. An object is serialised to
 * YAML with the `yaml` package and validated exactly like a file; that text is frozen into the ensemble directory
 * as config.yaml. Its relative paths resolve against `options.baseDir` (default: the current directory), and
 * its issues name the virtual file `<baseDir>/arrayflow.config` with line:col in that YAML text.
 *
 * Never prints; report progress through `options.onProgress` / `onPlanned` / `onSubmit`.
 *
 * @throws {@link ConfigError} with located `issues` when the config is invalid, names missing files or defines other
 *   tasks than its ensemble directory holds (an issue per key); {@link EnsembleError}, {@link SchedulerError}, {@link TransportError}, {@link UsageError} otherwise.
 *   Failed tasks do not throw: they are counted in `failed` (see logs/failures.ndjson).
 */
export async function run(config: string | ConfigInput, options: RunOptions = {}): Promise<RunResult> {
  const { baseDir, ...opts } = options;
  if (typeof config === 'string') return toResult(await runEnsemble(config, opts));
  const read = await readConfigObject(config, baseDir ?? process.cwd());
  return toResult(await runConfig(read.config, read.text, opts));
}

/**
 * Writes the ensemble directory of a config (frozen config, manifest, task table, plan, journal) without running
 * anything, or re-opens it when it holds a plan of the same config. `config` as in {@link run}.
 *
 * @throws {@link ConfigError} when the config is invalid or defines other tasks than its directory holds (an issue per key).
 */
export async function plan(config: string | ConfigInput, options: PlanOptions = {}): Promise<PlanResult> {
  // the config is read here rather than by planEnsemble: a multi-stage result names the root directory
  const read = typeof config === 'string' ? await readConfigFile(config) : await readConfigObject(config, options.baseDir ?? process.cwd());
  const planned = await planConfig(read.config, read.text);
  const entries: PlannedEnsemble[] = planned.map((p) => ({
    ensembleDir: p.layout.root,
    ...(p.name ? { stage: p.name } : {}),
    tasks: p.plan.tasks,
    elements: p.plan.elements,
    created: p.created,
  }));
  const tasks = entries.reduce((n, e) => n + e.tasks, 0);
  const created = entries.some((e) => e.created);
  if (!read.config.stages) return { ensembleDir: entries[0].ensembleDir, tasks, created };
  return { ensembleDir: read.config.ensemble_dir, tasks, created, stages: entries };
}

/**
 * Continues a planned ensemble, e.g. after the controller died: re-attaches to submitted jobs, submits only what
 * never ran, collects what finished meanwhile. Never prints. `target` is the ensemble directory (its latest
 * execution settings are used) or its config file: then the config's execution settings (timeout, keep, executor)
 * replace the ensemble's, journalled and reported through `options.onSettings` (docs/config.md).
 *
 * @throws {@link ConfigError} when `target` is a config that defines other tasks than its ensemble (one issue per key
 *   that differs); {@link EnsembleError} when `target` holds no plan or another controller holds its lock.
 */
export async function resume(target: string, options: ResumeOptions = {}): Promise<RunResult> {
  return toResult(await resumeEnsemble(await openTarget(resolve(target), options), options));
}

/**
 * Grows the design to `budget` samples in all (the next points of its sequence, each with all its replicates) and/or
 * raises every point to `replicates` replicates (new tasks, new seeds); runs only the new tasks. Never prints.
 *
 * @throws {@link EnsembleError} when nothing is left to add (a full grid; `budget` or `replicates` not above the
 *   planned), the directory is a later stage, or as {@link resume}; {@link UsageError} when neither is given.
 */
export async function extend(ensembleDir: string, request: number | ExtendRequest, options: ResumeOptions = {}): Promise<RunResult> {
  return toResult(await extendEnsemble(resolve(ensembleDir), typeof request === 'number' ? { budget: request } : request, options));
}

/**
 * Gives every failed task (with `filter.reason`: only failures of that kind, e.g. `timeout`, `out of memory`,
 * `exit code`, `cancelled`) one more attempt, journals the request, then runs them. Earlier attempts stay on record.
 * `target` as in {@link resume}: given the config file, its execution settings apply (a raised `timeout`, more
 * memory). Never prints.
 */
export async function retry(target: string, filter: { reason?: string } = {}, options: ResumeOptions = {}): Promise<RetryResult> {
  const r = await retryEnsemble(await openTarget(resolve(target), options), filter, options);
  return { ...toResult(r), retried: r.retried };
}

/**
 * Stops the ensemble's work: the controller running it (any executor), if one is, submits and starts nothing more,
 * records its unfinished tasks as `cancelled` and ends (its result has `stoppedByCancel`); every submitted array job is
 * cancelled with one scheduler call. Resolves with the job ids and that controller (null: none was running).
 *
 * @throws {@link SchedulerError} when the scheduler refuses.
 */
export async function cancel(ensembleDir: string, options: { transport?: Transport } = {}): Promise<CancelResult> {
  return cancelEnsemble(resolve(ensembleDir), options);
}

/**
 * Done / failed / pending counts of an ensemble directory from its records (no scheduler query); per stage too for
 * a multi-stage ensemble. Reads only; safe while the ensemble runs.
 */
export async function status(ensembleDir: string): Promise<EnsembleStatus> {
  const dir = resolve(ensembleDir);
  const staged = await stagesStatus(dir);
  if (!staged) {
    const s = await ensembleStatus(dir);
    return { ensembleDir: s.ensembleDir, name: s.name, total: s.total, done: s.done, failed: s.failed, pending: s.pending };
  }
  const stages: StageStatus[] = staged.stages.map((s) => ({ stage: s.stage, ensembleDir: s.ensembleDir, total: s.total, done: s.done, failed: s.failed, pending: s.pending }));
  const sum = (k: keyof Counts) => stages.reduce((n, s) => n + s[k], 0);
  return { ensembleDir: dir, name: staged.name, total: sum('total'), done: sum('done'), failed: sum('failed'), pending: sum('pending'), stages };
}

/** The failed tasks of a (single-stage) ensemble directory, by task id: final record (reason, exit code, stderr tail), parameters and seed. */
export async function failures(ensembleDir: string): Promise<FailedTask[]> {
  return failedTasks(resolve(ensembleDir));
}

/**
 * (Re)writes the dataset files of an ensemble directory (the config's `dataset.formats`, or `options.formats`) from its
 * task table and records (the combined dataset of every stage for a multi-stage one). Idempotent; safe while it runs.
 */
export async function collect(ensembleDir: string, options: { formats?: DatasetFormat[] } = {}): Promise<RunResult> {
  return toResult(await collectEnsembleDir(resolve(ensembleDir), options));
}

/** Provenance of an ensemble (its manifest) and the hosts and scheduler jobs that ran its tasks. */
export async function show(ensembleDir: string): Promise<EnsembleInfo> {
  return showEnsemble(resolve(ensembleDir));
}

/**
 * Count, mean, std, min and max of each numeric result column over the done tasks, grouped by `options.by`
 * (default: by stage for a multi-stage ensemble). Reads dataset.parquet, or the records when it is stale.
 */
export async function summary(ensembleDir: string, options: SummaryOptions = {}): Promise<EnsembleSummary> {
  return summarizeEnsemble(resolve(ensembleDir), options);
}

/**
 * Writes `<ensemble>/report.html`: one self-contained page (inline SVG charts and style, no script, no network) with
 * progress over time, status counts, a histogram of task durations, failures with their reasons and stderr tails, a
 * table per stage and per array job, and `options.y` against `options.x` for the done tasks (one chart per pair;
 * default: the first numeric result against the first numeric parameter). Reads only the records, task tables and
 * journal; safe while the ensemble runs. See docs/report.md.
 *
 * @throws {@link UsageError} for an `x` or `y` column the ensemble does not have; {@link EnsembleError} when there is no plan.
 */
export async function report(ensembleDir: string, options: ReportOptions = {}): Promise<ReportResult> {
  return writeReport(resolve(ensembleDir), options);
}

/** The outcome of {@link reproduce}. */
export interface ReproduceResult {
  /** The directory the task was rebuilt and ran in (kept). */
  dir: string;
  /** The task's exit code (128 + n when killed by signal n, 127 when it could not start). */
  exitCode: number;
  /** The reason the wrapper would have recorded (`exit code 3`, `timeout: ...`), or null when it exited 0. */
  reason: string | null;
  /** The attempt's time limit stopped it (`exitCode` is then 143 or 137; the CLI exits 124, as timeout(1)). */
  timedOut: boolean;
}

/**
 * Runs task `task` of a planned ensemble (done, failed or pending) again, alone, on this machine: rebuilds its scratch
 * as the task wrapper does (inputs, params.json, environment, argv, seed; a later stage's upstream row from the
 * upstream stage's records) in `options.dir` (default: a new directory under the temp dir, kept), and runs it in
 * the foreground, its output on `options.stdout`/`options.stderr` (default: this process's). Writes nothing into
 * the ensemble: no record, no journal line, no dataset change. For a multi-stage ensemble, `options.stage` names
 * the stage and `task` is its id there.
 *
 * @throws {@link UsageError} for a task or stage the ensemble does not have, or a `dir` that is not empty;
 *   {@link EnsembleError} when there is no plan; {@link UpstreamError} when a later stage's upstream task did not succeed.
 */
export async function reproduce(ensembleDir: string, task: number, options: ReproduceOptions & ReproduceRunOptions = {}): Promise<ReproduceResult> {
  const r = await prepareReproduction(ensembleDir, task, options);
  return { dir: r.dir, ...(await runReproduction(r, options)) };
}

/**
 * Rebuilds task `task`'s directory as {@link reproduce} does, runs nothing, and returns the shell command that runs
 * it there (`cd <dir> && env VAR=value ... argv`, every word quoted; paste it into a shell).
 */
export async function reproduceScript(ensembleDir: string, task: number, options: ReproduceOptions = {}): Promise<{ dir: string; script: string }> {
  const r = await prepareReproduction(ensembleDir, task, options);
  return { dir: r.dir, script: renderReproduction(r) };
}

/**
 * A smoke run: `n` tasks spread evenly over the design (per stage; a later stage's among those whose upstream smoke
 * task succeeded) run on this machine one after the other with the task wrapper, in a throw-away directory removed
 * afterwards, after the config's prologue. Resolves with each task's record (result, or reason and stderr tail, and
 * duration), the mean time per done task, and the bundle the plan would choose with it. Writes nothing into the
 * ensemble directory of the config. `config` as in {@link run}.
 */
export async function smoke(config: string | ConfigInput, n: number, options: SmokeOptions & PlanOptions = {}): Promise<SmokeResult> {
  const read = typeof config === 'string' ? await readConfigFile(config) : await readConfigObject(config, options.baseDir ?? process.cwd());
  return smokeConfig(read.config, read.text, n, options);
}

/**
 * Reads and validates the YAML config file at `path`, and checks that the files it names exist. Relative paths in
 * it resolve against its directory.
 *
 * @throws {@link ConfigError} carrying every issue, each at `file:line:col` and a key path.
 */
export async function readConfig(path: string): Promise<Config> {
  return readConfigFromFile(path);
}

/**
 * Validates a config without reading any file (pure): returns the normalised config, or every issue as data.
 * `config` is a config object (serialised to YAML and located as in {@link run}, relative to `options.baseDir`).
 * The files the config names are not checked here; {@link run}, {@link plan} and {@link readConfig} check them.
 */
export function validateConfig(config: ConfigInput, options: PlanOptions = {}): Validation {
  const { config: valid, issues } = validateConfigObject(config, options.baseDir ?? process.cwd());
  return { config: valid, issues };
}

/**
 * {@link validateConfig} of YAML text. Pure; `file` names the config in issues and anchors its relative paths
 * (default: `<cwd>/arrayflow.config`).
 */
export function validateConfigText(text: string, file: string = resolve('arrayflow.config')): Validation {
  return validateText(text, file);
}
