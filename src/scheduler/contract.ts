// The scheduler contract: what a binding (src/scheduler/<name>/binding.ts) supplies — argv builders, parsers and script conventions, all pure; src/executor/runner.ts runs the argv.
import type { SchedulerError } from '../errors.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { ArrayLimits, PlanFile } from '../plan/plan.js';
import type { ElementStatus } from './types.js';

/** What a command printed and how it exited, as the runner hands it to a limits step (a transport's CommandResult; adapters never run anything). */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A `#SBATCH` / `#PBS` line as the template writes it: `--flag=value` or `flag value`. */
export interface Directive {
  flag: string;
  value: string;
}

/** A later stage's first submissions wait for the upstream stage's jobs (docs/stages.md). */
export interface Dependency {
  kind: 'afterany' | 'afterok';
  jobIds: string[];
}

/**
 * What limits discovery finds: the array limits, whether the accounting database answers status queries, and whether
 * the live queue answers a state-only query (Slurm 23.11+: `squeue --only-job-state`, the cheapest RPC there is).
 */
export type Limits = ArrayLimits & { accounting: boolean; stateOnly?: boolean };

/** How a status query is asked: `stateOnly` asks the live queue for states alone (only where limits said it can). */
export interface StatusOptions {
  stateOnly?: boolean;
}

/** The end of limits discovery: the limits, and the binding that fits what answered when it is not the one asked (PBS: Slurm behind its qsub wrapper). */
export interface FoundLimits {
  limits: Limits;
  scheduler?: BatchScheduler;
}

/**
 * One step of limits discovery, as data: a command to run and what its answer leads to — the next step or the
 * limits. `next` is pure and throws a SchedulerError when the answer is an error worth stopping for. The answer is
 * an Error (the transport's) instead of a result only when `mayBeMissing` says a command that cannot start is an answer.
 */
export interface LimitsQuery {
  argv: string[];
  mayBeMissing?: boolean;
  next(answer: CommandOutput | Error): LimitsQuery | FoundLimits;
}

/** What a scheduler contributes: argv builders and parsers (pure) plus how its scripts look. */
export interface BatchScheduler {
  /** For messages: `Slurm`, `PBS`. */
  name: string;
  /** Template path in templates/ without `.mustache` (`slurm/array.sbatch`), and the script extension. */
  template: string;
  scriptExt: string;
  /** Variables the wrapper reads the array index and array job id from (first set wins). */
  indexVars: string[];
  jobIdVars: string[];
  /** Output/error file patterns understood by the scheduler, for element `%index` of `label`. */
  logPattern(layout: EnsembleLayout, label: string, stream: 'out' | 'err'): string;
  /** The error log of one element once it ran (to look for a memory kill). */
  logFile(layout: EnsembleLayout, label: string, jobId: string, index: number): string;
  /** Resource directives as {flag, value} pairs for the template. */
  directives(plan: PlanFile): Directive[];
  /** Directives making a job wait for `jobIds` to end (afterany) or to succeed (afterok). */
  dependency(dep: Dependency): Directive[];
  /** The first step of limits discovery for `user` (over SSH: the login user). */
  limits(user: string): LimitsQuery;
  submitArgv(script: string): string[];
  parseSubmit(stdout: string): string;
  submitError(stderr: string, exitCode: number, script: string): SchedulerError;
  /**
   * One status query for all `jobIds`: the accounting database's (`accounting`) or the live queue's, which may be asked
   * for states only (`options.stateOnly`); `forgotten` are ids an earlier query called unknown (left out where one
   * unknown id fails the whole query). Its output is parsed by parseStatus with the same `accounting`.
   */
  statusArgv(jobIds: string[], accounting: boolean, forgotten?: readonly string[], options?: StatusOptions): string[];
  parseStatus(stdout: string, accounting: boolean): ElementStatus[];
  /** When a failed status query only says jobs are unknown: the ids it names (maybe none); null when it failed for another reason. */
  unknownJobs(stderr: string): string[] | null;
  queryError(argv: string[], stderr: string, exitCode: number): SchedulerError;
  statusByIndex(statuses: ElementStatus[], jobId: string): Map<number, ElementStatus>;
  /** Job ids of jobs with this name, to find a submission the journal missed (controller died after submit). */
  findArgv(name: string, accounting: boolean): string[];
  parseFind(stdout: string): string[];
  cancelArgv(jobIds: string[]): string[];
  /** argv to cancel only the elements of arrays still queued (not started), where the scheduler can say so. */
  cancelPendingArgv?(jobIds: string[]): string[];
  /** Refines a final status with the element's stderr (e.g. an over-memory kill). */
  refine(status: ElementStatus, stderrText: string): ElementStatus;
}
