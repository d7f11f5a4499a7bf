// The batch loop (BatchRun): submit every chunk, then tick by tick follow the records, ask the scheduler only when ./poll.ts says so, settle what it called final (./settle.ts) and submit owed work (./resubmit.ts), until every task has a row; jobs are submitted by ./submitter.ts, commands run through ./runner.ts.
import { join, relative } from 'node:path';
import { SchedulerError } from '../errors.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { type PlanFile, chunkLabel, claimsTasks, elementTasks } from '../plan/plan.js';
import { owedItems } from '../records/owed.js';
import { FinalMarks } from '../records/final-marks.js';
import { planSubmissions } from '../render/submission.js';
import type { BatchScheduler, Dependency } from '../scheduler/contract.js';
import { type ElementStatus, isFinal } from '../scheduler/types.js';
import type { Transport } from '../transport/transport.js';
import type { FollowedFinals } from '../watch/records.js';
import type { BatchContext, BatchRunOptions } from './batch-context.js';
import { cancelJobs, writeCancelled } from './cancel.js';
import { type ClusterSide, sameHostCluster } from './cluster-side.js';
import { ElementBook } from './elements.js';
import { nextQuery, pollSettings } from './poll.js';
import { SchedulerRunner } from './runner.js';
import { OwedWork } from './resubmit.js';
import { Settler } from './settle.js';
import { StatusAnswers, UNKNOWN_GRACE_MS } from './status-answers.js';
import { sleep } from './sleep.js';
import { Submitter } from './submitter.js';

export type { Dependency } from '../scheduler/contract.js';
export type { Submission } from '../journal/submissions.js';
export type { BatchRunOptions, UpstreamWatch } from './batch-context.js';

/**
 * Drives an ensemble through a batch scheduler until every task has a final record. Markers (records)
 * are the truth; the one status query per tick only reveals elements that ended without one.
 */
export class BatchRun {
  /** Every scheduler command of this run goes through it. */
  private readonly runner: SchedulerRunner;
  private readonly cluster: ClusterSide;
  /** Each task's final record so far, in columns (the records stay in their files: {@link follow} reads them back). */
  private readonly finals: FinalMarks;
  /** How many final records have changed so far. */
  private changes = 0;
  /** Which elements of each submission still wait for a record or a verdict (what the poll policy sees). */
  private readonly book: ElementBook;
  /** What the status queries said of open elements: settled once records had time to land. */
  private readonly answers: StatusAnswers;
  /** The run's array jobs: submitted once by name, journalled (./submitter.ts). */
  private readonly subs: Submitter;
  /** Writes the records of the elements the scheduler called final without one (./settle.ts). */
  private readonly settler: Settler;
  /** Submits the work owed that no submission runs: retries, extended tasks, tasks held for a probe (./resubmit.ts). */
  private readonly owed: OwedWork;
  /** `arrayflow cancel` stopped this run: nothing more is submitted, and it ends once every submission has settled. */
  private cancelled = false;

  constructor(
    private readonly layout: EnsembleLayout,
    private readonly plan: PlanFile,
    sched: BatchScheduler,
    transport: Transport,
    private readonly follow: FollowedFinals,
    private readonly opts: BatchRunOptions,
  ) {
    this.finals = new FinalMarks(plan.tasks);
    this.book = new ElementBook(plan.tasks);
    this.answers = new StatusAnswers(this.book, () => this.sched, opts.tickMs?.unknown ?? UNKNOWN_GRACE_MS);
    this.cluster = opts.cluster ?? sameHostCluster(layout, plan);
    this.runner = new SchedulerRunner(sched, transport, { signal: opts.signal, log: opts.log });
    const ctx: BatchContext = { layout, plan, cluster: this.cluster, runner: this.runner, finals: this.finals, book: this.book, opts };
    this.subs = new Submitter(ctx);
    this.settler = new Settler(ctx, this.subs, this.answers, follow);
    this.owed = new OwedWork(ctx, this.subs);
  }

  /** The binding in use (limits discovery may have found another one: PBS through Slurm's qsub wrapper). */
  private get sched(): BatchScheduler {
    return this.runner.sched;
  }

  /** Runs until every task has a final record with no retry owed. */
  async run(): Promise<void> {
    const limits = await this.runner.limits();
    await this.cluster.writeFile(join(relative(this.layout.root, this.layout.jobLogsDir), '.keep'), '');
    await this.subs.readJournal();
    await this.cluster.sync();
    await this.readFinals();
    this.owed.begin(limits);

    // first submission of every chunk that still has a task without a record (a later stage's wait for the upstream's jobs)
    const submitted = new Set(this.subs.all.map((s) => s.label));
    let after: Dependency | undefined;
    for (const c of planSubmissions(this.plan, limits)) {
      const label = chunkLabel(c.chunk);
      if (submitted.has(label)) continue;
      const ids = [];
      for (let e = c.offset; e < c.offset + c.count; e++) ids.push(...elementTasks(this.plan, e));
      if (ids.every((id) => this.finals.has(id))) continue;
      if (this.opts.signal?.aborted) return;
      if (await this.noticeCancel()) break;
      after ??= await this.opts.after;
      // the upstream stage stopped before it submitted: submitting now would run without the dependency
      if (this.opts.signal?.aborted) return;
      await this.subs.submitOnce({ label, offset: c.offset, count: c.count, attempt: 1 }, after);
    }

    if ((await this.loop()) && !this.cancelled) await this.cancelIdle();
    this.settler.close();
  }

  /** Whether `arrayflow cancel` stopped this run; the first time, its jobs that may still run are cancelled (./cancel.ts). */
  private async noticeCancel(): Promise<boolean> {
    if (this.cancelled || !(await this.opts.cancelRequested?.())) return this.cancelled;
    this.cancelled = true;
    const ids = [...new Set(this.subs.all.filter((s) => !this.book.settled(s.jobId)).map((s) => s.jobId))];
    await cancelJobs(this.runner, ids, this.layout, this.opts.runId, this.opts.log);
    return true;
  }

  /**
   * After a cancel, once every submission has settled (their tasks recorded by the elements or the scheduler's verdict):
   * each task still owed an attempt (never submitted, or owed a retry) gets a `cancelled` record. True when done.
   */
  private async recordCancelled(): Promise<boolean> {
    if (this.subs.all.some((s) => !this.book.settled(s.jobId))) return false;
    if (writeCancelled(this.layout, this.opts.runId, owedItems(this.plan.tasks, this.finals, this.opts.policy)).length > 0) await this.readFinals();
    return true;
  }

  /**
   * Reads records every tick; asks the scheduler only when the poll policy (./poll.ts) says a query is due. True once
   * every task has its final record; false when stopped.
   */
  private async loop(): Promise<boolean> {
    let timing = pollSettings(this.plan.executor.poll, this.opts.tickMs);
    let lastQueryAt: number | null = null;
    let live: Set<string> | null = null;
    let started = false;
    for (;;) {
      if (!this.cancelled && (await this.noticeCancel())) {
        // the cancelled jobs' verdicts are wanted now: ask at once, then at the shortest gap until every element settled
        lastQueryAt = null;
        timing = { ...timing, intervalMs: timing.minGapMs };
      }
      await this.track();
      this.book.observe(this.finals, Date.now());
      const unsettled = this.book.unsettled();
      const due = nextQuery(Date.now(), lastQueryAt, this.book.views(), timing);
      if (due.at !== null && due.at <= Date.now()) {
        for (const i of due.early) this.book.spendEarly(unsettled[i]);
        const statuses = await this.query(unsettled);
        lastQueryAt = Date.now();
        if (statuses) {
          live = new Set(statuses.filter((st) => !isFinal(st.state)).map((st) => st.arrayJobId));
          this.answers.note(statuses, unsettled, lastQueryAt);
        }
        // records after the status: an element the scheduler calls final has written all it will write
        await this.cluster.sync();
        await this.readFinals();
        this.book.observe(this.finals, Date.now());
      }
      if (await this.settler.settle(Date.now(), timing.minGapMs)) await this.readFinals();
      await this.reviveFixed();
      if (!started && (live !== null || due.at === null)) {
        started = true;
        // what a later stage may depend on: jobs still queued or running, or just submitted (accounting may lag);
        // a journalled job the scheduler no longer reports would make the dependent submission fail
        const known = live ?? new Set<string>();
        this.opts.onStarted?.(this.subs.all.filter((s) => !this.book.settled(s.jobId) && (known.has(s.jobId) || this.subs.fresh.has(s.jobId))).map((s) => s.jobId));
      }
      if (this.cancelled) {
        if (await this.recordCancelled()) return true;
      } else {
        // a cancel that came while this tick ran: not one more submission, nor a bundle learned from cancelled tasks
        // (asked right before either, so that a tick that submits nothing reads cancel.json once)
        await this.owed.resubmit(this.changes, () => this.noticeCancel());
        if (this.finished()) return true;
      }
      if (this.opts.signal?.aborted) return false;
      await sleep(timing.readMs, this.opts.signal);
      await this.cluster.sync();
      await this.readFinals();
    }
  }

  /**
   * Reads the records appended since the last look into {@link finals}; the ones kept go to `onRecords`, once a task
   * whose upstream failure was fixed since is owed its retry (the run counts it as retrying, not failed).
   */
  private async readFinals(): Promise<void> {
    this.changes += await this.follow.poll(async (changed) => {
      const kept = changed.filter((r) => this.finals.set(r));
      await this.reviveFixed();
      this.opts.onRecords?.(kept);
    });
  }

  /** A later stage's retry requests for tasks whose upstream failure was fixed (./resubmit.ts); none once cancelled. */
  private async reviveFixed(): Promise<void> {
    if (!this.cancelled) await this.owed.reviveFixed();
  }

  /**
   * Once every task has its final record, an element of a stealing submission that is still queued has no work: its
   * siblings claimed its slice. Its queued elements are cancelled (running ones are left to finish) so that no job of
   * the ensemble is left behind; where the scheduler cannot cancel by state, such an element starts later and exits.
   */
  private async cancelIdle(): Promise<void> {
    const ids = this.subs.all.filter((s) => claimsTasks(this.plan, s.count)).map((s) => s.jobId);
    await this.runner.cancelPending(ids).catch(() => undefined);
  }

  /** Puts every submission into the element book (its task list read once). */
  private async track(): Promise<void> {
    for (const s of this.subs.all) {
      const list = await this.subs.taskList(s);
      this.book.add(s.jobId, s.attempt, s.count, (index) => this.subs.tasksOf(s, index, list));
    }
  }

  /**
   * One status query for the submissions with open elements (the runner asks the live queue first and the accounting
   * database only for jobs that left it); a transient failure is no answer (asked again at the next due time).
   */
  private async query(ids: string[]): Promise<ElementStatus[] | null> {
    if (ids.length === 0) return [];
    try {
      return await this.runner.status(ids, (live) => this.answers.askDatabase(live, ids));
    } catch (e) {
      if (e instanceof SchedulerError && e.transient) {
        this.opts.log?.warn({ err: e }, 'status query failed (transient): asked again at the next due time');
        return null;
      }
      throw e;
    }
  }

  private finished(): boolean {
    if (this.opts.upstream && !this.opts.upstream.settled()) return false;
    if (this.finals.size < this.plan.tasks) return false;
    if (this.subs.all.some((s) => !this.book.settled(s.jobId))) return false;
    return owedItems(this.plan.tasks, this.finals, this.opts.policy).length === 0;
  }

  /** Job ids of every submission (for cancel). */
  jobIds(): string[] {
    return this.subs.all.map((s) => s.jobId);
  }
}
