// The one place scheduler commands run: limits discovery, submit (transient retries, the uncertain-submission lookup), find by name, status, cancel — argv and parsers from the binding, the command through the transport.
import { userInfo } from 'node:os';
import { TransportError } from '../errors.js';
import type { BatchScheduler, FoundLimits, Limits, LimitsQuery } from '../scheduler/contract.js';
import type { ElementStatus } from '../scheduler/types.js';
import { type CommandResult, type Transport, isUncertain } from '../transport/transport.js';
import type { Logger } from '../util/log.js';
import { sleep } from './sleep.js';

const QUERY_TIMEOUT_MS = 60_000;
const SUBMIT_RETRIES = 6;
/** After a submission's answer was lost with the connection, the submit command has finished (or never started) by then. */
const UNCERTAIN_SETTLE_MS = 2000;

/** The account per-user limits are read for: the transport's (SSH: the login user), else this process's. */
function userOf(t: Transport): string {
  if (t.user) return t.user;
  try {
    return userInfo().username;
  } catch {
    // no passwd entry for this uid (some containers)
    return process.env.USER ?? process.env.LOGNAME ?? '';
  }
}

/** Runs a scheduler's commands through one transport; what it learns (accounting, unknown jobs, the binding that answers) it keeps. */
export class SchedulerRunner {
  /** The binding in use: the one given, or the one limits discovery found (PBS: Slurm behind its qsub wrapper). */
  sched: BatchScheduler;
  /** Whether the accounting database (sacct) answers for jobs that left the live queue; set by limits(). */
  private accounting = false;
  /** Whether the live queue is asked for states only (squeue --only-job-state); set by limits(), dropped if refused. */
  private stateOnly = false;
  /** Ids a status query called unknown: left out of later queries where one unknown id fails them all (PBS). */
  private readonly forgotten: string[] = [];

  constructor(
    sched: BatchScheduler,
    private readonly transport: Transport,
    private readonly opts: { signal?: AbortSignal; log?: Logger } = {},
  ) {
    this.sched = sched;
  }

  /**
   * Runs one scheduler command through the transport, logged with how long it took: at info the ones a run makes by
   * the clock or per submission (status, submit, cancel), at debug the look-ups (limits, find).
   */
  private async run(op: 'limits' | 'find' | 'submit' | 'status' | 'cancel', argv: string[], o: Parameters<Transport['run']>[1]): Promise<CommandResult> {
    const t0 = Date.now();
    const level = op === 'limits' || op === 'find' ? 'debug' : 'info';
    try {
      const r = await this.transport.run(argv, o);
      this.opts.log?.[level]({ op, argv, ms: Date.now() - t0, exit_code: r.exitCode }, 'scheduler command');
      return r;
    } catch (e) {
      this.opts.log?.warn({ op, argv, ms: Date.now() - t0, err: e }, 'scheduler command failed');
      throw e;
    }
  }

  /** Runs the binding's limits discovery, step by step; a step that allows it gets a command that cannot start as its answer. */
  async limits(): Promise<Limits> {
    let step: LimitsQuery | FoundLimits = this.sched.limits(userOf(this.transport));
    while ('argv' in step) {
      let answer: CommandResult | Error;
      try {
        answer = await this.run('limits', step.argv, { timeoutMs: QUERY_TIMEOUT_MS, idempotent: true });
      } catch (e) {
        if (!step.mayBeMissing || !(e instanceof TransportError)) throw e;
        answer = e;
      }
      step = step.next(answer);
    }
    if (step.scheduler) this.sched = step.scheduler;
    this.accounting = step.limits.accounting;
    this.stateOnly = step.limits.stateOnly === true;
    return step.limits;
  }

  /**
   * The id of a job the scheduler holds under this name, or null. The live queue first, then (with accounting)
   * the database for jobs the queue has forgotten: sacct lags a few seconds behind a submission and, asked by
   * name over a time window, never lists a job that is not yet eligible to start (held, a future --begin, a
   * dependency), so it alone would let a queued chunk be submitted again.
   */
  async find(name: string): Promise<string | null> {
    for (const accounting of this.accounting ? [false, true] : [false]) {
      const found = await this.run('find', this.sched.findArgv(name, accounting), { timeoutMs: QUERY_TIMEOUT_MS, idempotent: true });
      const ids = found.exitCode === 0 ? this.sched.parseFind(found.stdout) : [];
      if (ids.length > 0) return ids[0];
    }
    return null;
  }

  /**
   * Submits `script` (job name `name`; `shown` names it in messages) and returns the job id. Transient refusals
   * (a busy controller, a submit limit) are retried with backoff; when the connection drops mid-submit, the job is
   * looked up by name before submitting again.
   */
  async submit(script: string, name: string, shown: string): Promise<string> {
    let delay = 1000;
    for (let attempt = 1; ; attempt++) {
      let r: CommandResult;
      try {
        r = await this.run('submit', this.sched.submitArgv(script), { timeoutMs: QUERY_TIMEOUT_MS });
      } catch (e) {
        if (!isUncertain(e)) throw e;
        // the submission may have reached the scheduler before the connection dropped: look before submitting again
        await sleep(UNCERTAIN_SETTLE_MS, this.opts.signal);
        const jobId = await this.find(name);
        if (jobId !== null) return jobId;
        if (attempt < SUBMIT_RETRIES) continue;
        throw e;
      }
      if (r.exitCode === 0) return this.sched.parseSubmit(r.stdout);
      const err = this.sched.submitError(r.stderr, r.exitCode, shown);
      if (!err.transient || attempt >= SUBMIT_RETRIES) throw err;
      await sleep(delay, this.opts.signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }

  /**
   * The status of `jobIds`, from the cheapest source that knows: the live queue (squeue, state-only where it can; qstat),
   * then — with accounting — the database (sacct) only for the jobs the queue no longer lists (they left it: MinJobAge)
   * and for those `more(live answer)` names (the caller's: an element missing, or failed without an exit code). Without accounting, the
   * queue alone. An answer that only says the jobs are unknown is an empty list; any other failure is thrown as a
   * SchedulerError (`transient` when worth retrying).
   */
  async status(jobIds: string[], more?: (live: ElementStatus[]) => string[]): Promise<ElementStatus[]> {
    const live = await this.ask(jobIds, false);
    if (!this.accounting) return live;
    const listed = new Set(live.map((s) => s.arrayJobId));
    const also = new Set(more?.(live) ?? []);
    const left = jobIds.filter((id) => !listed.has(id) || also.has(id));
    if (left.length === 0) return live;
    const acct = await this.ask(left, true);
    // the database's lines replace the queue's for the jobs it answered about (sacct lags: it may not list one yet)
    const answered = new Set(acct.map((s) => s.arrayJobId));
    return [...live.filter((s) => !answered.has(s.arrayJobId)), ...acct];
  }

  /** One status command: the database's (`accounting`) or the live queue's. */
  private async ask(jobIds: string[], accounting: boolean): Promise<ElementStatus[]> {
    const stateOnly = !accounting && this.stateOnly;
    const argv = this.sched.statusArgv(jobIds, accounting, this.forgotten, { stateOnly });
    const r = await this.run('status', argv, { timeoutMs: QUERY_TIMEOUT_MS, idempotent: true });
    if (r.exitCode === 0) return this.sched.parseStatus(r.stdout, accounting);
    if (stateOnly && /unrecognized option|invalid option|unknown option/i.test(r.stderr)) {
      // a build without the option despite its version: ask the way every release understands, from now on
      this.stateOnly = false;
      return this.ask(jobIds, accounting);
    }
    const unknown = this.sched.unknownJobs(r.stderr);
    if (unknown === null) throw this.sched.queryError(argv, r.stderr, r.exitCode);
    for (const id of unknown) if (!this.forgotten.includes(id)) this.forgotten.push(id);
    return [];
  }

  /** Cancels `jobIds` with one command. */
  /** Cancels the still-queued elements of these arrays where the binding can (Slurm); elsewhere nothing. */
  async cancelPending(jobIds: string[]): Promise<void> {
    if (!this.sched.cancelPendingArgv || jobIds.length === 0) return;
    const argv = this.sched.cancelPendingArgv(jobIds);
    const r = await this.run('cancel', argv, { timeoutMs: QUERY_TIMEOUT_MS });
    if (r.exitCode !== 0) throw this.sched.queryError(argv, r.stderr, r.exitCode);
  }

  async cancel(jobIds: string[]): Promise<void> {
    const argv = this.sched.cancelArgv(jobIds);
    const r = await this.run('cancel', argv, { timeoutMs: QUERY_TIMEOUT_MS });
    if (r.exitCode !== 0) throw this.sched.queryError(argv, r.stderr, r.exitCode);
  }
}
