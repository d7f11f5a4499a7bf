// The batch loop (BatchRun): submit every chunk, then follow the records, asking the scheduler only when ./poll.ts says so, until every task has a row; commands go through ./runner.ts.
import { join, relative } from 'node:path';
import { SchedulerError } from '../errors.js';
import { appendJournal } from '../journal/journal.js';
import { journalSubmitting } from '../journal/submissions.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { type ArrayLimits, type PlanFile, chunkLabel, chunkSize, claimsTasks, elementTasks } from '../plan/plan.js';
import { slotsFor } from '../plan/slots.js';
import { UPSTREAM_FAILED, owedItems, reasonKind } from '../records/owed.js';
import { FinalMarks } from '../records/final-marks.js';
import type { FinalBrief } from '../records/record.js';
import { planSubmissions } from '../render/submission.js';
import type { BatchScheduler, Dependency } from '../scheduler/contract.js';
import { type ElementStatus, isFinal } from '../scheduler/types.js';
import type { Transport } from '../transport/transport.js';
import type { FollowedFinals } from '../watch/records.js';
import type { BatchContext, BatchRunOptions } from './batch-context.js';
import { cancelJobs, writeCancelled } from './cancel.js';
import { type ClusterSide, sameHostCluster } from './cluster-side.js';
import { ElementBook } from './elements.js';
import { type LearnedBundle, learnBundle } from './learn.js';
import { nextQuery, pollSettings } from './poll.js';
import { SchedulerRunner } from './runner.js';
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
  /** The run's array jobs: submitted once by name, journalled (./submitter.ts). */
  private readonly subs: Submitter;
  /** Which elements of each submission still wait for a record or a verdict (what the poll policy sees). */
  private readonly book: ElementBook;
  private retrySeq = 0;
  private limits: ArrayLimits = {};
  /** The bundle learned from the probe (plan.bundle_probe); null while it is measuring or the plan has none. */
  private learned: LearnedBundle | null = null;
  private readonly startedAt = Date.now();
  private readonly cluster: ClusterSide;
  /** Every scheduler command of this run goes through it. */
  private readonly runner: SchedulerRunner;
  /** Writes the records of the elements the scheduler called final without one (./settle.ts). */
  private readonly settler: Settler;
  /** What the last whole scan for owed work saw (changes, submissions, bundle): an equal one would find nothing new. */
  private owedStamp = '';
  /** Each task's final record so far, in columns (the records stay in their files: {@link follow} reads them back). */
  private readonly finals: FinalMarks;
  /** How many final records have changed so far. */
  private changes = 0;
  /** What the status queries said of open elements: settled once records had time to land. */
  private readonly answers: StatusAnswers;
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
  }

  /** The binding in use (limits discovery may have found another one: PBS through Slurm's qsub wrapper). */
  private get sched(): BatchScheduler {
    return this.runner.sched;
  }

  /** Runs until every task has a final record with no retry owed. Returns the scheduler calls made. */
  async run(): Promise<void> {
    const limits = await this.runner.limits();
    this.limits = limits;
    await this.cluster.writeFile(join(relative(this.layout.root, this.layout.jobLogsDir), '.keep'), '');
    await this.subs.readJournal();
    await this.cluster.sync();
    await this.readFinals();
    // the highest listed label journalled as submitted (labels journalled as submitting only are skipped below, so the
    // labels in use need not be contiguous)
    this.retrySeq = Math.max(0, ...this.subs.all.filter((s) => s.tasksFile).map((s) => Number(/^r(\d+)$/.exec(s.label)?.[1] ?? 0)));

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
        await this.resubmitOwed();
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

  /**
   * The bundle of listed submissions: the plan's, or the one learned from the probe. Null while the probe is still
   * measuring: the tasks after it are held until then (learnBundle), the choice journalled once.
   */
  private listBundle(): number | null {
    if (this.plan.bundle_probe === undefined) return this.plan.bundle;
    if (this.learned === null) {
      const slots = slotsFor(this.limits.cpus, this.plan.executor.resources.cpus);
      this.learned = learnBundle(this.plan, this.finals, slots, (Date.now() - this.startedAt) / 1000);
      if (this.learned !== null) appendJournal(this.layout.journal, { event: 'bundle_learned', bundle: this.learned.bundle, reason: this.learned.reason });
    }
    return this.learned?.bundle ?? null;
  }

  /**
   * Submits, as listed arrays per attempt number (split at the cluster's chunk size), every task owed an attempt that
   * no submission runs: retries (automatic or asked for), tasks added by `extend` beyond the plan's element layout,
   * and the tasks a probe held back once their bundle is learned.
   */
  private async resubmitOwed(): Promise<void> {
    // a cancel that came while this tick ran: not one more submission, nor a bundle learned from cancelled tasks
    if (await this.noticeCancel()) return;
    const bundle = this.listBundle();
    // a scan is O(tasks): at a million tasks, one a second was a third of the controller's CPU
    const stamp = `${this.changes} ${this.subs.all.length} ${bundle}`;
    if (stamp === this.owedStamp) return;
    const probe = this.plan.bundle_probe ?? 0;
    const byAttempt = new Map<number, number[]>();
    for (const { task, attempt } of owedItems(this.plan.tasks, this.finals, this.opts.policy)) {
      if (this.book.runs(task, attempt)) continue;
      if (bundle === null && attempt === 1 && task >= probe) continue;
      const list = byAttempt.get(attempt) ?? [];
      list.push(task);
      byAttempt.set(attempt, list);
    }
    const per = bundle ?? this.plan.bundle;
    const size = chunkSize(this.limits, this.plan.executor.array) * per;
    for (const [attempt, all] of byAttempt) {
      for (let i = 0; i < all.length; i += size) {
        const ids = all.slice(i, i + size);
        let label: string;
        for (;;) {
          label = `r${++this.retrySeq}`;
          // a controller killed between this label's sbatch and its journal entry: adopt that job with the list and
          // bundle it was submitted with (the owed tasks have changed since); the next tick submits what it leaves owed
          if (await this.subs.adoptSubmitting(label)) return;
          // journalled as submitting but no job of its name found: that job may have run and left the queue (MinJobAge,
          // no accounting) with its claims under claims/<label>/, which would make the elements of another list under
          // this label skip their blocks and end without running them; a label is never used for a second list
          if ((await journalSubmitting(this.layout, label)) === null) break;
        }
        // journalled relative to the ensemble root: the same list serves the local and the cluster copy
        const tasksFile = relative(this.layout.root, join(this.layout.planDir, `${label}-tasks.json`));
        const sub = { label, offset: 0, count: Math.ceil(ids.length / per), attempt, tasksFile, ...(per !== this.plan.bundle ? { bundle: per } : {}) };
        appendJournal(this.layout.journal, { event: 'submitting', chunk: label, elements: sub.count, attempt, tasks_file: tasksFile, ...(sub.bundle ? { bundle: sub.bundle } : {}) });
        await this.cluster.writeFile(tasksFile, JSON.stringify(ids));
        await this.subs.submitOnce(sub);
      }
    }
    this.owedStamp = stamp;
  }

  /** Asks for one more attempt of every task whose upstream failure has been fixed by an upstream retry (journalled). */
  private async reviveFixed(): Promise<void> {
    const { upstream, policy } = this.opts;
    if (!upstream || this.cancelled) return;
    // at most as many revivals as retries: a node that keeps seeing a stale upstream view cannot loop forever
    const waiting = [...this.finals.withReasons()].filter(
      (r) => r.status === 'failed' && reasonKind(r.reason) === UPSTREAM_FAILED && policy.requested.get(r.task) !== r.attempt && r.attempt <= policy.retries,
    );
    if (waiting.length === 0) return;
    const fixed = await upstream.fixed(waiting.map((r) => r.task));
    if (fixed.length === 0) return;
    const tasks = fixed.map((t): [number, number] => [t, (this.finals.get(t) as FinalBrief).attempt]);
    for (const [t, attempt] of tasks) policy.requested.set(t, attempt);
    this.owedStamp = ''; // retry requests changed: the next scan for owed work runs
    appendJournal(this.layout.journal, { event: 'retry', tasks });
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
