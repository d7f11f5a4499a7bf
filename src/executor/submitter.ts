// The array jobs of one BatchRun (Submitter): each submitted once by name (a job the scheduler already holds under that name is adopted, not submitted twice), journalled, and the tasks each of their elements runs.
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { appendJournal } from '../journal/journal.js';
import { type Submission, journalSubmissions, journalSubmitting } from '../journal/submissions.js';
import { elementTasks, jobName } from '../plan/plan.js';
import { renderSubmission } from '../render/submission.js';
import type { Dependency } from '../scheduler/contract.js';
import type { BatchContext } from './batch-context.js';

export class Submitter {
  /** Every submission of the ensemble: those the journal held when the run started, then this run's. */
  readonly all: Submission[] = [];
  /** Jobs submitted (or adopted by name) by this run. */
  readonly fresh = new Set<string>();
  /** The task list of each listed submission, read once. */
  private readonly lists = new Map<string, number[]>();

  constructor(private readonly ctx: BatchContext) {}

  /** Takes in the submissions the journal holds (those of earlier runs: a restarted controller follows them). */
  async readJournal(): Promise<void> {
    this.all.push(...(await journalSubmissions(this.ctx.layout)));
  }

  /** The tasks element `index` of `s` runs; `list` is its task list ({@link taskList}), null for a chunk of the plan. */
  tasksOf(s: Submission, index: number, list: number[] | null): number[] {
    // a resubmission's elements are slices of its task list; a chunk's are the plan's elements
    const element = s.offset + index;
    const bundle = s.bundle ?? this.ctx.plan.bundle;
    if (list) return list.slice(element * bundle, (element + 1) * bundle);
    return elementTasks(this.ctx.plan, element);
  }

  /** The task list of a listed submission (a resubmission), null for a chunk of the plan. */
  async taskList(s: Submission): Promise<number[] | null> {
    if (!s.tasksFile) return null;
    let list = this.lists.get(s.tasksFile);
    if (!list) {
      list = JSON.parse(await readFile(join(this.ctx.layout.root, s.tasksFile), 'utf8')) as number[];
      this.lists.set(s.tasksFile, list);
    }
    return list;
  }

  private journal(sub: Submission): void {
    this.fresh.add(sub.jobId);
    appendJournal(this.ctx.layout.journal, {
      event: 'submitted',
      run: this.ctx.opts.runId,
      chunk: sub.label,
      job_id: sub.jobId,
      elements: sub.count,
      offset: sub.offset,
      attempt: sub.attempt,
      ...(sub.tasksFile ? { tasks_file: sub.tasksFile } : {}),
      ...(sub.bundle ? { bundle: sub.bundle } : {}),
    });
  }

  private submitted(sub: Submission): Submission {
    this.journal(sub);
    this.ctx.opts.log?.info({ chunk: sub.label, job_id: sub.jobId, elements: sub.count, attempt: sub.attempt }, 'submitted');
    this.ctx.opts.onSubmit?.(sub);
    return sub;
  }

  /** Writes the script of a submission and submits it, unless the scheduler already has a job of that name. */
  async submitOnce(s: Omit<Submission, 'jobId'>, after?: Dependency): Promise<void> {
    const { layout, plan, cluster, runner } = this.ctx;
    const name = jobName(plan, s.label);
    const existing = await runner.find(name);
    if (existing !== null) {
      // the controller died between the submit and the journal write: adopt the job instead of submitting twice
      const sub: Submission = { ...s, jobId: existing };
      this.ctx.opts.log?.info({ chunk: s.label, job_id: existing }, 'adopted the queued job of this name: submitted before the journal said so');
      this.journal(sub);
      this.all.push(sub);
      return;
    }
    const rel = relative(layout.root, layout.script(s.label, runner.sched.scriptExt));
    const text = renderSubmission(cluster.layout, plan, runner.sched, s, plan.executor.array.throttle, cluster, after);
    await cluster.writeFile(rel, text, 0o755);
    const script = join(cluster.layout.root, rel);
    const jobId = await runner.submit(script, name, relative(cluster.layout.root, script));
    this.all.push(this.submitted({ ...s, jobId }));
  }

  /** Adopts the queued job of listed resubmission `label` as journalled before its sbatch; false when there is none. */
  async adoptSubmitting(label: string): Promise<boolean> {
    const before = await journalSubmitting(this.ctx.layout, label);
    if (before === null) return false;
    const existing = await this.ctx.runner.find(jobName(this.ctx.plan, label));
    if (existing === null) return false;
    this.ctx.opts.log?.info({ chunk: label, job_id: existing }, 'adopted the queued resubmission of this name, with the list it was submitted with');
    const sub: Submission = { ...before, jobId: existing };
    this.journal(sub);
    this.all.push(sub);
    return true;
  }
}
