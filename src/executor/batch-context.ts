// The options of a BatchRun (./batch.ts), the view of its upstream stage a later stage is given, and what the parts of the batch loop share (BatchContext); kept apart so that those parts need not import the loop.
import type { Submission } from '../journal/submissions.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import type { FinalMarks } from '../records/final-marks.js';
import type { RetryPolicy } from '../records/owed.js';
import type { TaskRecord } from '../records/record.js';
import type { Dependency } from '../scheduler/contract.js';
import type { Logger } from '../util/log.js';
import type { ClusterSide } from './cluster-side.js';
import type { ElementBook } from './elements.js';
import type { SchedulerRunner } from './runner.js';

export interface BatchRunOptions {
  runId: string;
  policy: RetryPolicy;
  /** Where the ensemble lives for the compute nodes (default: this host, the same directory). */
  cluster?: ClusterSide;
  /**
   * Timing for tests (ms): `min` is how often records are read and the shortest gap between two status queries, `max`
   * the steady-state interval between status queries, `unknown` the grace of an element no answer names (30 s). Default:
   * records every second, queries every `executor.poll` s.
   */
  tickMs?: { min: number; max: number; unknown?: number };
  /** The final records that changed, as the records are read (ascending by task, a slice at a time). */
  onRecords?: (changed: TaskRecord[]) => void;
  onSubmit?: (s: Submission) => void;
  signal?: AbortSignal;
  /** The upstream stage's jobs that the first submission of each chunk waits for (a later stage). */
  after?: Promise<Dependency>;
  /** Called once, after the first status query: the submissions still queued or running (what a later stage waits for). */
  onStarted?: (activeJobIds: string[]) => void;
  /** A later stage: whether its upstream stage has finished, and which of its tasks' upstream rows are done now. */
  upstream?: UpstreamWatch;
  /** The controller's log: submissions, scheduler commands with their timing, records written from the scheduler's word. */
  log?: Logger;
  /** Whether `arrayflow cancel` stopped this controller (journal/cancel.ts); asked once a tick, and again right before each submission and before a bundle is learned. */
  cancelRequested?: () => Promise<boolean>;
}

/**
 * A later stage's view of its upstream while both run: a task that failed because its upstream task had failed is
 * run again once an upstream retry succeeded, and the stage is not finished before its upstream is.
 */
export interface UpstreamWatch {
  settled(): boolean;
  /** Of these tasks (failed as `upstream failed`), those whose upstream task has a done row now. */
  fixed(tasks: number[]): Promise<number[]>;
}

/** What BatchRun builds once and hands to its parts (./submitter.ts ...): they read and update the same books. */
export interface BatchContext {
  readonly layout: EnsembleLayout;
  readonly plan: PlanFile;
  /** Where the ensemble lives for the compute nodes. */
  readonly cluster: ClusterSide;
  /** Every scheduler command of this run goes through it; `runner.sched` is the binding in use (limits discovery may have found another one: PBS through Slurm's qsub wrapper). */
  readonly runner: SchedulerRunner;
  /** Each task's final record so far, in columns (the records stay in their files). */
  readonly finals: FinalMarks;
  /** Which elements of each submission still wait for a record or a verdict (what the poll policy sees). */
  readonly book: ElementBook;
  readonly opts: BatchRunOptions;
}
