// What the operations on an ensemble take and return: options, counts, progress and results (types, and the two helpers that make them).
import type { DatasetFormat, ExecutorType } from '../config/types.js';
import type { DatasetFiles } from '../collect/writers.js';
import type { Dependency, Submission, UpstreamWatch } from '../executor/batch.js';
import type { SettingChange } from '../journal/journal.js';
import type { OpenedPlan } from '../plan/write.js';
import type { PlanFile } from '../plan/plan.js';
import { CANCELLED, reasonKind } from '../records/owed.js';
import type { TaskRecord } from '../records/record.js';
import type { RemoteSetup } from '../remote/index.js';
import type { Transport } from '../transport/transport.js';
import type { LogLevel } from '../util/log.js';

export type { LogLevel } from '../util/log.js';

export interface Counts {
  total: number;
  done: number;
  failed: number;
  pending: number;
}

export interface Progress extends Counts {
  /** The stage these counts are of (multi-stage ensembles). */
  stage?: string;
  /** Failed tasks that are owed another attempt (automatic retries, `retry --failed`): still to do, not in `failed`. */
  retrying: number;
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
  /** Scheduler poll interval bounds (ms), and how long an element may be missing from every answer before it is lost (tests). */
  tickMs?: {
    min: number;
    max: number;
    unknown?: number;
  };
  onSubmit?: (s: Submission) => void;
  workers?: number;
  runId?: string;
  onPlanned?: (info: {
    ensembleDir: string;
    tasks: number;
    created: boolean;
    /** Tasks this run submits or starts: without a row, and in no job submitted before. */
    toRun: number;
    /** Tasks without a row in array jobs submitted before (queued or running): followed, not submitted again. */
    submitted: number;
    /** The executor that runs them (what Ctrl-C does depends on it). */
    executor: ExecutorType;
  }) => void;
  onProgress?: (p: Progress) => void;
  /** The config's prologue ran, before the first task (src/run/prologue.ts). */
  onPrologue?: (p: { command: string[]; duration_s: number }) => void;
  /** A config changed the execution settings of an ensemble planned before (journalled; docs/config.md). */
  onSettings?: (s: SettingsUpdate) => void;
  /** An adaptive round added points (docs/adaptive.md). */
  onAdaptive?: (a: { round: number; points: number; tasks: number; budget: number }) => void;
  signal?: AbortSignal;
  /** Level of logs/controller.log (default: $ARRAYFLOW_LOG, else info). */
  logLevel?: LogLevel;
}

/** The execution settings a config changed in one ensemble directory (a stage's, for a multi-stage one). */
export interface SettingsUpdate {
  ensembleDir: string;
  /** The plan's element layout, which a changed bundle does not alter. */
  bundle: number;
  changes: SettingChange[];
}

/** Tells `opts.onSettings` about every re-opened plan whose execution settings changed. */
export function reportSettings(opened: ReadonlyArray<Pick<OpenedPlan, 'layout' | 'plan' | 'changes'>>, opts: Pick<RunOptions, 'onSettings'>): void {
  for (const p of opened) if (p.changes.length > 0) opts.onSettings?.({ ensembleDir: p.layout.root, bundle: p.plan.bundle, changes: p.changes });
}

/** The dataset files (Parquet always, CSV and HDF5 as the config's `dataset.formats` says) and the counts. */
export interface RunResult extends Counts, DatasetFiles {
  ensembleDir: string;
  /** Failed tasks whose reason is `cancelled` (scancel, qdel, `arrayflow cancel`): `retry --failed --reason cancelled` runs them again. */
  cancelled: number;
  badLines: number;
  /** This run was stopped by `arrayflow cancel` (src/journal/cancel.ts): nothing more was submitted, and every task it still owed an attempt has a `cancelled` row. */
  stoppedByCancel?: boolean;
  /**
   * `arrayflow cancel` addressed this controller, whether or not it stopped anything (with every task's row already
   * there it stopped nothing: no `stoppedByCancel`); an adaptive run asks its proposer for no further round either way.
   */
  cancelRequested?: boolean;
  /** Set when the run was interrupted: its pending tasks in array jobs already submitted, which keep running in the queue. */
  submitted?: number;
}

/** `collect --format`: the dataset formats of this collection instead of the plan's `dataset.formats`. */
export interface CollectOverrides {
  formats?: DatasetFormat[];
}

/** A fresh id for one run of the controller (names its record files and journal events). */
export function newRunId(): string {
  return `${Date.now().toString(36)}-${process.pid}`;
}

/** Done / failed / pending counts of a plan given its final records (an interrupted task is pending). */
export function countFinals(plan: PlanFile, finals: Map<number, TaskRecord>): Counts {
  let done = 0;
  let failed = 0;
  for (const r of finals.values()) {
    if (r.task >= plan.tasks) continue;
    if (r.status === 'done') done++;
    else if (r.status === 'failed') failed++;
  }
  return { total: plan.tasks, done, failed, pending: plan.tasks - done - failed };
}

/** Whether a final record is a cancelled task's (scancel, qdel, `arrayflow cancel`). */
export function isCancelled(r: TaskRecord): boolean {
  return r.status === 'failed' && reasonKind(r.reason) === CANCELLED;
}

/** Failed tasks whose final record says `cancelled`. */
export function countCancelled(finals: Map<number, TaskRecord>): number {
  let n = 0;
  for (const r of finals.values()) if (isCancelled(r)) n++;
  return n;
}

/** How a stage of a multi-stage ensemble waits for its upstream on a batch scheduler (run/stages.ts). */
export interface StageChain {
  after?: Promise<Dependency>;
  onStarted?: (activeJobIds: string[]) => void;
  upstream?: UpstreamWatch;
}


/** What `extend` adds: `budget`, the new total of samples (design points); `replicates`, the new number of replicates of every point. */
export interface ExtendRequest {
  budget?: number;
  replicates?: number;
}
