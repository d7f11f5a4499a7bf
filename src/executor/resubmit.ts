// Submission of owed work (OwedWork, once a BatchRun tick): every task owed an attempt that no submission runs (retries, tasks `extend` added, the tasks a bundle probe held back) as listed arrays; and a later stage's retry requests for tasks whose upstream failure was fixed.
import { join, relative } from 'node:path';
import { appendJournal } from '../journal/journal.js';
import { journalSubmitting } from '../journal/submissions.js';
import { type ArrayLimits, chunkSize } from '../plan/plan.js';
import { slotsFor } from '../plan/slots.js';
import { UPSTREAM_FAILED, owedItems, reasonKind } from '../records/owed.js';
import type { FinalBrief } from '../records/record.js';
import type { BatchContext } from './batch-context.js';
import { type LearnedBundle, learnBundle } from './learn.js';
import type { Submitter } from './submitter.js';

export class OwedWork {
  private limits: ArrayLimits = {};
  /** The number of the last label of a listed submission (`r<n>`): a label is never used for a second list. */
  private retrySeq = 0;
  /** The bundle learned from the probe (plan.bundle_probe); null while it is measuring or the plan has none. */
  private learned: LearnedBundle | null = null;
  private readonly startedAt = Date.now();
  /** What the last whole scan for owed work saw (changes, submissions, bundle): an equal one would find nothing new. */
  private owedStamp = '';

  constructor(
    private readonly ctx: BatchContext,
    private readonly subs: Submitter,
  ) {}

  /** Takes the cluster's limits, and the labels already in use from the submissions the journal holds. */
  begin(limits: ArrayLimits): void {
    this.limits = limits;
    // the highest listed label journalled as submitted (labels journalled as submitting only are skipped in
    // resubmit(), so the labels in use need not be contiguous)
    this.retrySeq = Math.max(0, ...this.subs.all.filter((s) => s.tasksFile).map((s) => Number(/^r(\d+)$/.exec(s.label)?.[1] ?? 0)));
  }

  /**
   * Learns the bundle from the probe once its times are in (learnBundle), journalled once; true when `stopped()` says
   * a cancel came first: nothing is learned from the cancelled probe tasks.
   */
  private async learn(stopped: () => Promise<boolean>): Promise<boolean> {
    const { plan, finals, layout } = this.ctx;
    if (plan.bundle_probe === undefined || this.learned !== null) return false;
    const slots = slotsFor(this.limits.cpus, plan.executor.resources.cpus);
    const learned = learnBundle(plan, finals, slots, (Date.now() - this.startedAt) / 1000);
    if (learned === null) return false;
    if (await stopped()) return true;
    this.learned = learned;
    appendJournal(layout.journal, { event: 'bundle_learned', bundle: learned.bundle, reason: learned.reason });
    return false;
  }

  /** The bundle of listed submissions: the plan's, or the one learned from the probe; null while the probe is still measuring (the tasks after it are held until then). */
  private listBundle(): number | null {
    if (this.ctx.plan.bundle_probe === undefined) return this.ctx.plan.bundle;
    return this.learned?.bundle ?? null;
  }

  /**
   * Submits, as listed arrays per attempt number (split at the cluster's chunk size), every task owed an attempt that
   * no submission runs: retries (automatic or asked for), tasks added by `extend` beyond the plan's element layout,
   * and the tasks a probe held back once their bundle is learned. `changes`: how many final records have changed so
   * far (with the submissions and the bundle, what tells whether a new scan could find anything). `stopped()` (the
   * cancel request, read) is asked right before a bundle is learned and before each submission or adoption: a cancel
   * that came while the tick ran stops them, and a tick that submits nothing reads the request no second time.
   */
  async resubmit(changes: number, stopped: () => Promise<boolean>): Promise<void> {
    const { layout, plan, cluster, finals, book, opts } = this.ctx;
    if (await this.learn(stopped)) return;
    const bundle = this.listBundle();
    // a scan is O(tasks): at a million tasks, one a second was a third of the controller's CPU
    const stamp = `${changes} ${this.subs.all.length} ${bundle}`;
    if (stamp === this.owedStamp) return;
    const probe = plan.bundle_probe ?? 0;
    const byAttempt = new Map<number, number[]>();
    for (const { task, attempt } of owedItems(plan.tasks, finals, opts.policy)) {
      if (book.runs(task, attempt)) continue;
      if (bundle === null && attempt === 1 && task >= probe) continue;
      const list = byAttempt.get(attempt) ?? [];
      list.push(task);
      byAttempt.set(attempt, list);
    }
    const per = bundle ?? plan.bundle;
    const size = chunkSize(this.limits, plan.executor.array) * per;
    for (const [attempt, all] of byAttempt) {
      for (let i = 0; i < all.length; i += size) {
        const ids = all.slice(i, i + size);
        if (await stopped()) return;
        let label: string;
        for (;;) {
          label = `r${++this.retrySeq}`;
          // a controller killed between this label's sbatch and its journal entry: adopt that job with the list and
          // bundle it was submitted with (the owed tasks have changed since); the next tick submits what it leaves owed
          if (await this.subs.adoptSubmitting(label)) return;
          // journalled as submitting but no job of its name found: that job may have run and left the queue (MinJobAge,
          // no accounting) with its claims under claims/<label>/, which would make the elements of another list under
          // this label skip their blocks and end without running them; a label is never used for a second list
          if ((await journalSubmitting(layout, label)) === null) break;
        }
        // journalled relative to the ensemble root: the same list serves the local and the cluster copy
        const tasksFile = relative(layout.root, join(layout.planDir, `${label}-tasks.json`));
        const sub = { label, offset: 0, count: Math.ceil(ids.length / per), attempt, tasksFile, ...(per !== plan.bundle ? { bundle: per } : {}) };
        appendJournal(layout.journal, { event: 'submitting', chunk: label, elements: sub.count, attempt, tasks_file: tasksFile, ...(sub.bundle ? { bundle: sub.bundle } : {}) });
        await cluster.writeFile(tasksFile, JSON.stringify(ids));
        await this.subs.submitOnce(sub);
      }
    }
    this.owedStamp = stamp;
  }

  /** Asks for one more attempt of every task whose upstream failure has been fixed by an upstream retry (journalled). */
  async reviveFixed(): Promise<void> {
    const { finals, layout } = this.ctx;
    const { upstream, policy } = this.ctx.opts;
    if (!upstream) return;
    // at most as many revivals as retries: a node that keeps seeing a stale upstream view cannot loop forever
    const waiting = [...finals.withReasons()].filter(
      (r) => r.status === 'failed' && reasonKind(r.reason) === UPSTREAM_FAILED && policy.requested.get(r.task) !== r.attempt && r.attempt <= policy.retries,
    );
    if (waiting.length === 0) return;
    const fixed = await upstream.fixed(waiting.map((r) => r.task));
    if (fixed.length === 0) return;
    const tasks = fixed.map((t): [number, number] => [t, (finals.get(t) as FinalBrief).attempt]);
    for (const [t, attempt] of tasks) policy.requested.set(t, attempt);
    this.owedStamp = ''; // retry requests changed: the next scan for owed work runs
    appendJournal(layout.journal, { event: 'retry', tasks });
  }
}
