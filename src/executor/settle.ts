// Settling the array elements the scheduler called final (Settler, once a BatchRun tick): each of their tasks still without a usable record of its own gets one written on its behalf (./verdict.ts), from the scheduler's word and the element's log.
import { relative } from 'node:path';
import { elementName } from '../layout/layout.js';
import { claimsTasks } from '../plan/plan.js';
import { awaitsScheduler } from '../records/select-final.js';
import { keepsStarts, parseStarts } from '../records/starts.js';
import { RecordWriter } from '../records/writer.js';
import { elementTimeLimit } from '../scheduler/resources.js';
import { type ElementStatus, failureReason } from '../scheduler/types.js';
import type { Submission } from '../journal/submissions.js';
import type { FollowedFinals } from '../watch/records.js';
import type { BatchContext } from './batch-context.js';
import { ClaimHolders } from './claims.js';
import type { StatusAnswers } from './status-answers.js';
import type { Submitter } from './submitter.js';
import { linesSince, schedulerRecord, taskBegan } from './verdict.js';

/** What a cancel of an element waiting with afterok most likely was (a user's scancel looks the same in squeue). */
const AFTEROK_CANCEL = '; this stage waits on its upstream with depend: afterok, and the scheduler cancels its jobs when an upstream element did not succeed';

export class Settler {
  /** This run's record file for the records written from the scheduler's word, opened with the first of them. */
  private writer: RecordWriter | null = null;
  /** Which element holds a task an ended element's slice did not record (stealing, ./claims.ts). */
  private readonly holders: ClaimHolders;

  constructor(
    private readonly ctx: BatchContext,
    private readonly subs: Submitter,
    /** What the status queries said of open elements: the verdicts settled here. */
    private readonly answers: StatusAnswers,
    /** The records as written: a task's own record of the attempt is read back for what it says. */
    private readonly follow: FollowedFinals,
  ) {
    this.holders = new ClaimHolders(ctx.layout, ctx.cluster, ctx.opts.runId);
  }

  /**
   * Writes records for the tasks of elements the scheduler called final that still have none (lost, timeout, OOM,
   * cancelled...), once `lagMs` has passed since the verdict (records may lag the scheduler: NFS); a vanished element's
   * at once. True when it wrote any.
   */
  async settle(now: number, lagMs: number): Promise<boolean> {
    const { plan, cluster, book, finals, runner } = this.ctx;
    let wrote = false;
    for (const verdict of this.answers.pending()) {
      const { jobId, index, since, st: seen } = verdict;
      const s = this.subs.all.find((x) => x.jobId === jobId);
      if (!s || !book.isOpen(jobId, index)) {
        this.answers.drop(verdict);
        continue;
      }
      if (now - since < lagMs) continue;
      let st = seen;
      let reason = failureReason(st);
      let log = '';
      if (st.state === 'failed' || st.state === 'cancelled') {
        log = await cluster.readFile(relative(cluster.layout.root, runner.sched.logFile(cluster.layout, s.label, s.jobId, index)));
        st = runner.sched.refine(st, log);
        reason = failureReason(st);
        if (st.state === 'cancelled' && (await this.waitsWithAfterok(s))) reason += AFTEROK_CANCEL;
      }
      const slice = this.subs.tasksOf(s, index, await this.subs.taskList(s));
      const bundle = s.bundle ?? plan.bundle;
      const claims = claimsTasks(plan, s.count);
      const limitS = elementTimeLimit(plan.executor, s.attempt);
      // the element's start lines, read once it turns out to owe a task a record; none kept: null, no read
      let starts: Map<number, string> | null | undefined = keepsStarts(bundle, claims) ? undefined : null;
      for (const task of book.held(jobId, index)) {
        const rec = finals.get(task);
        const own = rec !== undefined && rec.attempt >= s.attempt;
        if (own && !awaitsScheduler(rec)) continue;
        // a task of its slice that a sibling claimed is the sibling's to answer for (the adopted ones are this element's),
        // a "terminated" one too: its reason (cancel, time limit) is the sibling's end, not this element's
        const pos = slice.indexOf(task);
        const holder = pos >= 0 && claims ? await this.holders.holder(s, index, pos, bundle) : index;
        if (holder !== index) {
          book.adopt(jobId, holder, task);
          continue;
        }
        if (own && !reason) continue;
        this.ctx.opts.log?.warn({ task, job_id: `${jobId}_${index}`, state: st.rawState, reason }, 'no record from the element: recorded from the scheduler');
        // what the task's own record of this attempt said (exit code, host, times, stderr) is kept; else see elementTimes
        const prev = own ? ((await this.follow.read([task])).get(task) ?? null) : null;
        if (!prev && starts === undefined) starts = await this.startsOf(s, index, st);
        const began = prev ? 'unknown' : taskBegan(starts ?? null, task, pos === 0, st.state);
        this.recordFile().write(schedulerRecord(task, s, st, reason, prev, runner.sched.name, log, began, limitS));
        wrote = true;
      }
      book.close(jobId, index);
      this.answers.drop(verdict);
    }
    return wrote;
  }

  /**
   * The tasks element `index` of `s` (ended as `st`) noted as started in its last run, with their start times
   * (records/starts.ts); null when that run left no start lines (verdict.ts linesSince).
   */
  private async startsOf(s: Submission, index: number, st: ElementStatus): Promise<Map<number, string> | null> {
    const { cluster } = this.ctx;
    return parseStarts(await cluster.readFile(relative(cluster.layout.root, cluster.layout.startsFile(startsName(s, index)))), linesSince(st));
  }

  /** Whether `s` is a chunk of a later stage submitted to wait on its upstream's jobs with afterok (not a resubmission). */
  private async waitsWithAfterok(s: Submission): Promise<boolean> {
    if (s.tasksFile !== undefined || this.ctx.opts.after === undefined) return false;
    const dep = await this.ctx.opts.after;
    return dep.kind === 'afterok' && dep.jobIds.length > 0;
  }

  /** Closes the record file, if one was opened. */
  close(): void {
    this.writer?.close();
  }

  private recordFile(): RecordWriter {
    this.writer ??= new RecordWriter(this.ctx.layout.recordFile(`scheduler-${this.ctx.opts.runId}`));
    return this.writer;
  }
}

/**
 * The name of the starts file of element `index` of `s`, as its runner names it (node/main.ts elementNames): the
 * element's name, without the job id, which the runner may see otherwise (Torque: its subjob's id, layout.ts elementName).
 */
export function startsName(s: Pick<Submission, 'offset' | 'attempt' | 'tasksFile'>, index: number): string {
  return elementName(s.offset + index, s.attempt, s.tasksFile);
}
