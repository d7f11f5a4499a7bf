// The batch loop (BatchRun): submit every chunk, then reconcile with one status query per tick until every task has a row; commands go through ./runner.ts.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { SchedulerError } from '../errors.js';
import { appendJournal } from '../journal/journal.js';
import { type Submission, journalSubmissions } from '../journal/submissions.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { type PlanFile, chunkLabel, elementTasks, jobName } from '../plan/plan.js';
import { type RetryPolicy, UPSTREAM_FAILED, owedItems, reasonKind } from '../records/owed.js';
import type { TaskRecord } from '../records/record.js';
import { awaitsScheduler } from '../records/select-final.js';
import { RecordWriter } from '../records/writer.js';
import { planSubmissions, renderSubmission } from '../render/submission.js';
import type { BatchScheduler, Dependency } from '../scheduler/contract.js';
import { type ElementStatus, failureReason, isFinal } from '../scheduler/types.js';
import type { Transport } from '../transport/transport.js';
import { type ClusterSide, sameHostCluster } from './cluster-side.js';
import { SchedulerRunner } from './runner.js';
import { sleep } from './sleep.js';

export type { Dependency } from '../scheduler/contract.js';
export type { Submission } from '../journal/submissions.js';

export interface BatchRunOptions {
  runId: string;
  policy: RetryPolicy;
  /** Where the ensemble lives for the compute nodes (default: this host, the same directory). */
  cluster?: ClusterSide;
  /** Poll interval bounds in ms: the tick backs off from min to max while nothing changes. */
  tickMs?: { min: number; max: number };
  onRecords?: (finals: Map<number, TaskRecord>) => void;
  onSubmit?: (s: Submission) => void;
  signal?: AbortSignal;
  /** The upstream stage's jobs that the first submission of each chunk waits for (a later stage). */
  after?: Promise<Dependency>;
  /** Called once, after the first status query: the submissions still queued or running (what a later stage waits for). */
  onStarted?: (activeJobIds: string[]) => void;
  /** A later stage: whether its upstream stage has finished, and which of its tasks' upstream rows are done now. */
  upstream?: UpstreamWatch;
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

const UNKNOWN_GRACE_MS = 30_000;

/**
 * Drives an ensemble through a batch scheduler until every task has a final record. Markers (records)
 * are the truth; the one status query per tick only reveals elements that ended without one.
 */
export class BatchRun {
  private readonly submissions: Submission[] = [];
  /** When an element was first seen final: it is declared lost only one tick later (records may lag). */
  private readonly finalSince = new Map<string, number>();
  private schedulerWriter: RecordWriter | null = null;
  private retrySeq = 0;
  private readonly cluster: ClusterSide;
  /** Every scheduler command of this run goes through it. */
  private readonly runner: SchedulerRunner;
  /** Submissions whose every element is final and accounted for: no longer queried. */
  private readonly doneSubmissions = new Set<string>();

  constructor(
    private readonly layout: EnsembleLayout,
    private readonly plan: PlanFile,
    sched: BatchScheduler,
    transport: Transport,
    private readonly readFinals: () => Promise<Map<number, TaskRecord>>,
    private readonly opts: BatchRunOptions,
  ) {
    this.cluster = opts.cluster ?? sameHostCluster(layout, plan);
    this.runner = new SchedulerRunner(sched, transport, { signal: opts.signal });
  }

  /** The binding in use (limits discovery may have found another one: PBS through Slurm's qsub wrapper). */
  private get sched(): BatchScheduler {
    return this.runner.sched;
  }

  private tasksOf(s: Submission, index: number, list: number[] | null): number[] {
    // a resubmission's elements are slices of its task list; a chunk's are the plan's elements
    const element = s.offset + index;
    if (list) return list.slice(element * this.plan.bundle, (element + 1) * this.plan.bundle);
    return elementTasks(this.plan, element);
  }

  /** Jobs submitted (or adopted by name) by this run. */
  private readonly fresh = new Set<string>();

  private journal(sub: Submission): void {
    this.fresh.add(sub.jobId);
    appendJournal(this.layout.journal, {
      event: 'submitted',
      run: this.opts.runId,
      chunk: sub.label,
      job_id: sub.jobId,
      elements: sub.count,
      offset: sub.offset,
      attempt: sub.attempt,
      ...(sub.tasksFile ? { tasks_file: sub.tasksFile } : {}),
    });
  }

  private submitted(sub: Submission): Submission {
    this.journal(sub);
    this.opts.onSubmit?.(sub);
    return sub;
  }

  /** Writes the script of a submission and submits it, unless the scheduler already has a job of that name. */
  private async submitOnce(s: Omit<Submission, 'jobId'>, after?: Dependency): Promise<void> {
    const name = jobName(this.plan, s.label);
    const existing = await this.runner.find(name);
    if (existing !== null) {
      // the controller died between the submit and the journal write: adopt the job instead of submitting twice
      const sub: Submission = { ...s, jobId: existing };
      this.journal(sub);
      this.submissions.push(sub);
      return;
    }
    const rel = relative(this.layout.root, this.layout.script(s.label, this.sched.scriptExt));
    const text = renderSubmission(this.cluster.layout, this.plan, this.sched, s, this.plan.executor.array.throttle, this.cluster, after);
    await this.cluster.writeFile(rel, text, 0o755);
    const script = join(this.cluster.layout.root, rel);
    const jobId = await this.runner.submit(script, name, relative(this.cluster.layout.root, script));
    this.submissions.push(this.submitted({ ...s, jobId }));
  }

  /** Runs until every task has a final record with no retry owed. Returns the scheduler calls made. */
  async run(): Promise<void> {
    const limits = await this.runner.limits();
    await this.cluster.writeFile(join(relative(this.layout.root, this.layout.jobLogsDir), '.keep'), '');
    this.submissions.push(...(await journalSubmissions(this.layout)));
    await this.cluster.sync();
    let finals = await this.readFinals();
    this.retrySeq = this.submissions.filter((s) => s.tasksFile).length;

    // first submission of every chunk that still has a task without a record (a later stage's wait for the upstream's jobs)
    const submitted = new Set(this.submissions.map((s) => s.label));
    let after: Dependency | undefined;
    for (const c of planSubmissions(this.plan, limits)) {
      const label = chunkLabel(c.chunk);
      if (submitted.has(label)) continue;
      const ids = [];
      for (let e = c.offset; e < c.offset + c.count; e++) ids.push(...elementTasks(this.plan, e));
      if (ids.every((id) => finals.has(id))) continue;
      if (this.opts.signal?.aborted) return;
      after ??= await this.opts.after;
      // the upstream stage stopped before it submitted: submitting now would run without the dependency
      if (this.opts.signal?.aborted) return;
      await this.submitOnce({ label, offset: c.offset, count: c.count, attempt: 1 }, after);
    }

    const tick = this.opts.tickMs ?? { min: 1000, max: 30_000 };
    let interval = tick.min;
    let lastSignature = '';
    let started = true;
    for (;;) {
      const statuses = await this.query();
      // records after the status: an element the scheduler calls final has written all it will write
      await this.cluster.sync();
      finals = await this.readFinals();
      const wrote = await this.reconcile(statuses, finals);
      if (wrote) finals = await this.readFinals();
      await this.reviveFixed(finals);
      if (started) {
        started = false;
        // what a later stage may depend on: jobs still queued or running, or just submitted (accounting may lag);
        // a journalled job the scheduler no longer reports would make the dependent submission fail
        const live = new Set(statuses.filter((st) => !isFinal(st.state)).map((st) => st.arrayJobId));
        this.opts.onStarted?.(this.submissions.filter((s) => !this.doneSubmissions.has(s.jobId) && (live.has(s.jobId) || this.fresh.has(s.jobId))).map((s) => s.jobId));
      }
      this.opts.onRecords?.(finals);
      await this.resubmitOwed(finals);
      if (this.finished(finals)) break;
      if (this.opts.signal?.aborted) return;
      const signature = `${finals.size}|${statuses.map((s) => s.state).join('')}`;
      interval = signature === lastSignature ? Math.min(interval * 2, tick.max) : tick.min;
      lastSignature = signature;
      await sleep(interval, this.opts.signal);
    }
    this.schedulerWriter?.close();
  }

  /** One status query for every submission not yet settled; a transient failure is an empty answer (asked again next tick). */
  private async query(): Promise<ElementStatus[]> {
    const ids = this.submissions.filter((s) => !this.doneSubmissions.has(s.jobId)).map((s) => s.jobId);
    if (ids.length === 0) return [];
    try {
      return await this.runner.status(ids);
    } catch (e) {
      if (e instanceof SchedulerError && e.transient) return [];
      throw e;
    }
  }

  private writer(): RecordWriter {
    this.schedulerWriter ??= new RecordWriter(this.layout.recordFile(`scheduler-${this.opts.runId}`));
    return this.schedulerWriter;
  }

  private readonly lists = new Map<string, number[]>();
  private async taskList(s: Submission): Promise<number[] | null> {
    if (!s.tasksFile) return null;
    let list = this.lists.get(s.tasksFile);
    if (!list) {
      list = JSON.parse(await readFile(join(this.layout.root, s.tasksFile), 'utf8')) as number[];
      this.lists.set(s.tasksFile, list);
    }
    return list;
  }

  /** When the scheduler first answered nothing at all about a submission. */
  private readonly unknownSince = new Map<string, number>();

  /**
   * A job the scheduler no longer knows (squeue after MinJobAge, or purged accounting) can never report
   * a final state: after UNKNOWN_GRACE_MS its unrecorded tasks are lost rather than waited for forever.
   */
  private vanished(s: Submission, byIndex: Map<number, ElementStatus>, now: number): boolean {
    if (byIndex.size > 0) {
      this.unknownSince.delete(s.jobId);
      return false;
    }
    const since = this.unknownSince.get(s.jobId) ?? now;
    this.unknownSince.set(s.jobId, since);
    return now - since >= UNKNOWN_GRACE_MS;
  }

  /** Writes records for tasks of final elements that have none (lost, timeout, OOM, cancelled...). */
  private async reconcile(statuses: ElementStatus[], finals: Map<number, TaskRecord>): Promise<boolean> {
    let wrote = false;
    const now = Date.now();
    for (const s of this.submissions) {
      if (this.doneSubmissions.has(s.jobId)) continue;
      const list = await this.taskList(s);
      const byIndex = this.sched.statusByIndex(statuses, s.jobId);
      const gone = this.vanished(s, byIndex, now);
      let settled = 0;
      for (let index = 0; index < s.count; index++) {
        const tasks = this.tasksOf(s, index, list);
        // a wrapper's "terminated" record waits for the scheduler to say why (time limit, cancel, preemption)
        const covered = tasks.every((t) => {
          const rec = finals.get(t);
          return rec !== undefined && rec.attempt >= s.attempt && !awaitsScheduler(rec);
        });
        let st: ElementStatus | undefined = byIndex.get(index);
        if (!st && gone) st = { arrayJobId: s.jobId, index, state: 'unknown', rawState: 'no longer known to the scheduler', scheduler: this.sched.name };
        else if (!st || !isFinal(st.state)) {
          if (covered) settled++;
          continue;
        }
        const key = `${s.jobId}_${index}`;
        const since = gone ? 0 : this.finalSince.get(key);
        if (since === undefined) {
          this.finalSince.set(key, now);
          if (!covered) continue;
        }
        let reason = failureReason(st);
        if (st.state === 'failed' || st.state === 'cancelled') {
          const log = await this.cluster.readFile(relative(this.cluster.layout.root, this.sched.logFile(this.cluster.layout, s.label, s.jobId, index)));
          st = this.sched.refine(st, log);
          reason = failureReason(st);
        }
        for (const task of tasks) {
          const rec = finals.get(task);
          const own = rec !== undefined && rec.attempt >= s.attempt;
          if (own && !(reason && awaitsScheduler(rec))) continue;
          if (!own && since === undefined) continue;
          this.writer().write(this.schedulerRecord(task, s, st, reason, rec ?? null));
          wrote = true;
        }
        settled++;
      }
      if (settled === s.count) this.doneSubmissions.add(s.jobId);
    }
    return wrote;
  }

  private schedulerRecord(task: number, s: Submission, st: ElementStatus, reason: string | null, prev: TaskRecord | null): TaskRecord {
    const now = new Date().toISOString();
    const own = prev && prev.attempt >= s.attempt ? prev : null;
    return {
      task,
      attempt: s.attempt,
      status: 'failed',
      reason: reason ?? `lost: the array element ended (${this.sched.name} ${st.rawState}) without a record for this task`,
      exit_code: own?.exit_code ?? st.exitCode ?? null,
      signal: own?.signal ?? null,
      host: own?.host ?? st.node ?? hostname(),
      job_id: `${s.jobId}_${st.index}`,
      start: own?.start ?? now,
      end: own?.end ?? now,
      duration_s: own?.duration_s ?? 0,
      result: null,
      source: 'scheduler',
    };
  }

  /** Resubmits failed tasks that have retries left, as one array per attempt number. */
  /** `task:attempt` pairs some submission runs: chunk elements run attempt 1, listed resubmissions their own. */
  private async coverage(): Promise<Set<string>> {
    const covered = new Set<string>();
    for (const s of this.submissions) {
      const list = await this.taskList(s);
      for (let i = 0; i < s.count; i++) for (const t of this.tasksOf(s, i, list)) covered.add(`${t}:${s.attempt}`);
    }
    return covered;
  }

  /**
   * Submits, as one listed array per attempt number, every task owed an attempt that no submission runs:
   * retries (automatic or asked for) and tasks added by `extend` beyond the plan's element layout.
   */
  private async resubmitOwed(finals: Map<number, TaskRecord>): Promise<void> {
    const covered = await this.coverage();
    const byAttempt = new Map<number, number[]>();
    for (const { task, attempt } of owedItems(this.plan.tasks, finals, this.opts.policy)) {
      if (covered.has(`${task}:${attempt}`)) continue;
      const list = byAttempt.get(attempt) ?? [];
      list.push(task);
      byAttempt.set(attempt, list);
    }
    for (const [attempt, ids] of byAttempt) {
      const label = `r${++this.retrySeq}`;
      // journalled relative to the ensemble root: the same list serves the local and the cluster copy
      const tasksFile = relative(this.layout.root, join(this.layout.planDir, `${label}-tasks.json`));
      await this.cluster.writeFile(tasksFile, JSON.stringify(ids));
      await this.submitOnce({ label, offset: 0, count: Math.ceil(ids.length / this.plan.bundle), attempt, tasksFile });
    }
  }

  /** Asks for one more attempt of every task whose upstream failure has been fixed by an upstream retry (journalled). */
  private async reviveFixed(finals: Map<number, TaskRecord>): Promise<void> {
    const { upstream, policy } = this.opts;
    if (!upstream) return;
    // at most as many revivals as retries: a node that keeps seeing a stale upstream view cannot loop forever
    const waiting = [...finals.values()].filter(
      (r) => r.status === 'failed' && reasonKind(r.reason) === UPSTREAM_FAILED && policy.requested.get(r.task) !== r.attempt && r.attempt <= policy.retries,
    );
    if (waiting.length === 0) return;
    const fixed = await upstream.fixed(waiting.map((r) => r.task));
    if (fixed.length === 0) return;
    const tasks = fixed.map((t): [number, number] => [t, (finals.get(t) as TaskRecord).attempt]);
    for (const [t, attempt] of tasks) policy.requested.set(t, attempt);
    appendJournal(this.layout.journal, { event: 'retry', tasks });
  }

  private finished(finals: Map<number, TaskRecord>): boolean {
    if (this.opts.upstream && !this.opts.upstream.settled()) return false;
    if (finals.size < this.plan.tasks) return false;
    if (this.submissions.some((s) => !this.doneSubmissions.has(s.jobId))) return false;
    return owedItems(this.plan.tasks, finals, this.opts.policy).length === 0;
  }

  /** Job ids of every submission (for cancel). */
  jobIds(): string[] {
    return this.submissions.map((s) => s.jobId);
  }
}
