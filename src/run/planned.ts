// Running the pending work of one planned ensemble: lock, live dataset, local workers or the batch loop, then collect.
import { availableParallelism } from 'node:os';
import { startLiveDataset } from '../collect/live-dataset.js';
import { UsageError } from '../errors.js';
import { BatchRun } from '../executor/batch.js';
import { runLocal } from '../executor/local.js';
import { appendJournal, readJournal, retryRequests } from '../journal/journal.js';
import { CancelWatch } from '../journal/cancel.js';
import { acquireLock } from '../journal/lock.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { type RetryPolicy, owedAttempt, owedItems, retryPolicy } from '../records/owed.js';
import { readFinals } from '../records/read.js';
import { storageErrorOf } from '../records/storage.js';
import type { TaskRecord } from '../records/record.js';
import { TaskStats } from '../records/stats.js';
import { batchScheduler } from '../scheduler/registry.js';
import { LocalTransport } from '../transport/local.js';
import { logLevel, openLog } from '../util/log.js';
import { followFinals } from '../watch/records.js';
import { collectEnsemble } from './collect-plan.js';
import { FinalMarks, bucketOf } from '../records/final-marks.js';
import { prologueDone, runPrologue } from './prologue.js';
import { countSubmitted } from './submitted.js';
import { type RunOptions, type RunResult, type StageChain, countFinals, newRunId } from './types.js';

/** The shortest time between two progress lines of the controller's log at level info. */
const PROGRESS_LOG_MS = 10_000;

/**
 * Where a run starts from the records already there: the work owed, the progress counts, and the failed tasks owed
 * another attempt (retries, retry_on, `retry --failed`: work still to do, not failures). The records are read here and
 * let go: the run keeps {@link FinalMarks} of them.
 */
async function startingPoint(layout: EnsembleLayout, plan: PlanFile, policy: RetryPolicy, stats: TaskStats) {
  const finals = await readFinals(layout.resultsDir);
  // records that arrived while no controller ran (a resume after a crash; jobs that went on in the queue)
  stats.catchUp(finals.values(), false);
  const items = owedItems(plan.tasks, finals, policy);
  const counts = countFinals(plan, finals);
  const retrying = new Set<number>();
  for (const { task } of items) {
    if (finals.get(task)?.status !== 'failed') continue;
    retrying.add(task);
    counts.failed--;
  }
  return { items, counts, retrying, marks: new FinalMarks(plan.tasks, finals.values()), submitted: await countSubmitted(layout, plan, finals) };
}

/** Runs the pending work of a planned ensemble with the execution settings its plan holds now (src/plan/settings.ts). */
export async function runPlanned(layout: EnsembleLayout, plan: PlanFile, created: boolean, opts: RunOptions, chain: StageChain = {}): Promise<RunResult> {
  const { executor } = plan;
  const level = logLevel(opts.logLevel);
  const lock = await acquireLock(layout.lock);
  // `arrayflow cancel` addresses the lock's holder: a cancel written before this controller took the lock is not for it
  const cancel = new CancelWatch(layout, lock.holder);
  const cancelRequested = () => cancel.requested();
  const runId = opts.runId ?? newRunId();
  // logs/controller.log and logs/tasks.stats: written by the controller that holds the lock, and no other
  const controllerLog = await openLog(layout.controllerLog, level).catch(async (e: unknown) => {
    await lock.release();
    throw e;
  });
  const log = controllerLog.log.child({ run: runId });
  const debug = log.isLevelEnabled('debug');
  const stats = new TaskStats(layout.taskStats);
  // dataset/ is kept current while tasks finish, unless a `collect --follow` does it already (docs/watching.md);
  // a failure there must not stop the run: the compaction at the end is the dataset
  let live = await startLiveDataset(layout, plan).catch(() => null);
  try {
    const journal = await readJournal(layout.journal);
    const policy = retryPolicy(executor.retries, executor.retry_on, retryRequests(journal));
    const start = await startingPoint(layout, plan, policy, stats);
    const { counts, retrying, marks } = start;
    const pending = start.items.length;
    const type = opts.executor ?? executor.type;
    // tasks in jobs a controller submitted before are queued or running: followed, not to run
    opts.onPlanned?.({ ensembleDir: layout.root, tasks: plan.tasks, created, toRun: pending - start.submitted, submitted: start.submitted, executor: type });
    const host = opts.host ?? executor.host;
    if (plan.prologue && pending > 0 && !prologueDone(journal)) {
      // on a batch scheduler this machine is the submitting host, on the shared filesystem: the tasks see what it made
      if (host) throw new UsageError(`the prologue runs on the machine arrayflow runs on, and submitting over SSH (${host}) that is not the cluster: run arrayflow on the login node, or remove prologue`);
      const duration_s = await runPrologue(layout, plan.prologue);
      opts.onPrologue?.({ command: plan.prologue.command, duration_s });
    }
    const t0 = Date.now();
    let finishedThisRun = 0;
    appendJournal(layout.journal, { event: 'run_started', run: runId, executor: type, pending });
    log.info({ ensemble: layout.root, executor: type, tasks: plan.tasks, pending, created }, 'run started');
    let progressLoggedAt = t0;
    const report = () => {
      const elapsed = (Date.now() - t0) / 1000;
      const rate = finishedThisRun / Math.max(elapsed, 1e-3);
      const remaining = counts.pending + retrying.size;
      // never "ETA 0s" while work remains: at least one second until the last task is in
      const eta = finishedThisRun === 0 ? null : remaining === 0 ? 0 : Math.max(1, remaining / rate);
      opts.onProgress?.({ ...counts, retrying: retrying.size, finishedThisRun, elapsed_s: elapsed, eta_s: eta });
    };
    report();
    const onRecord = (rec: TaskRecord) => {
      // a task whose record the filesystem refused: every later write would be refused too, stop with its sentence
      const refused = storageErrorOf(rec);
      if (refused) throw refused;
      // a failed task in `retrying` was counted as work to do
      if (!retrying.delete(rec.task)) counts[marks.bucket(rec.task)]--;
      marks.set(rec);
      if (rec.status === 'failed' && owedAttempt(rec, policy) !== null) retrying.add(rec.task);
      else counts[bucketOf(rec.status)]++;
      if (rec.status !== 'interrupted') finishedThisRun++;
      stats.record(rec);
      // no object built per record unless debug lines are written
      if (debug) log.debug({ task: rec.task, attempt: rec.attempt, status: rec.status, reason: rec.reason, host: rec.host, duration_s: rec.duration_s }, 'record');
      if (retrying.has(rec.task)) log.info({ task: rec.task, attempt: rec.attempt, reason: rec.reason }, 'retry owed');
      else if (rec.status === 'failed') log.warn({ task: rec.task, attempt: rec.attempt, reason: rec.reason }, 'task failed');
      if (Date.now() - progressLoggedAt >= PROGRESS_LOG_MS) {
        progressLoggedAt = Date.now();
        log.info({ ...counts, retrying: retrying.size, finishedThisRun }, 'progress');
      }
    };
    if (opts.host && type === 'local') {
      throw new UsageError(`host ${opts.host}: submitting over SSH needs a batch scheduler, but the executor is local; set executor.type to slurm or pbs`);
    }
    if (type === 'local') {
      // the work items go to the executor, not kept here: at a million tasks they are ≈ 40 MB for the whole run
      await runLocal(layout, start.items.splice(0), {
        workers: opts.workers ?? executor.workers ?? availableParallelism(),
        runId,
        signal: opts.signal,
        // one progress report and one stats write per record here (the local executor hands them over one by one)
        onRecord: (rec) => {
          onRecord(rec);
          report();
          stats.flush();
        },
        policy,
        onWorkers: (pids) => lock.setWorkers(pids),
        caps: executor.caps,
        log,
        cancelRequested,
      });
    } else {
      // the batch loop finds the owed work itself, from the records: the items are let go
      start.items.length = 0;
      // the element layout (bundle) is the plan's, whatever executor.array.bundle says now
      const effective: PlanFile = { ...plan, executor: { ...executor, array: { ...executor.array, bundle: plan.bundle } } };
      // from a workstation: one SSH connection for the whole run, and the ensemble's copy on the cluster (docs/ssh.md)
      const remote = host ? await (await import('../remote/index.js')).openRemote(host, executor.remote, layout, plan, { transport: opts.transport }) : null;
      if (remote && host) opts.onRemote?.({ host, ...remote.setup });
      const transport = remote?.transport ?? opts.transport ?? new LocalTransport();
      const follow = followFinals(layout.resultsDir, plan.tasks);
      const batch = new BatchRun(layout, effective, batchScheduler(type, executor.dialect), transport, follow, {
        runId,
        policy,
        tickMs: opts.tickMs,
        signal: opts.signal,
        onSubmit: opts.onSubmit,
        log,
        cancelRequested,
        ...chain,
        ...(remote ? { cluster: remote.cluster } : {}),
        // one progress report and one stats write per batch of records, not per record
        onRecords: (changed) => {
          let news = false;
          for (const rec of changed) {
            if (marks.same(rec)) continue;
            onRecord(rec);
            news = true;
          }
          if (!news) return;
          report();
          stats.flush();
        },
      });
      try {
        await batch.run();
      } finally {
        if (!opts.transport) await transport.close();
      }
    }
    // the last records as they are (a reason the scheduler never refined included)
    stats.catchUp(marks.awaiting(), true);
    // the live dataset is let go before the compaction reads the records again (its follower and index are not held
    // beside the collector's own); the compaction removes the live parts once the dataset is written
    await live?.release({ removeParts: false }).catch(() => undefined);
    live = null;
    const result = await collectEnsemble(layout, plan);
    appendJournal(layout.journal, { event: 'run_finished', run: runId, done: result.done, failed: result.failed, pending: result.pending });
    // a cancel that came when every task had its row (while the dataset was collected) stopped nothing: the ensemble is
    // done, not cancelled; an adaptive run asks for no further round all the same (src/run/adaptive.ts)
    const requested = await cancel.requested();
    // interrupted: the tasks left in submitted jobs go on in the queue (a resume follows them), the others wait for it
    const submitted = opts.signal?.aborted ? { submitted: await countSubmitted(layout, plan, await readFinals(layout.resultsDir)) } : {};
    const stopped = requested && (result.pending > 0 || result.cancelled > 0);
    log.info({ done: result.done, failed: result.failed, pending: result.pending, elapsed_s: (Date.now() - t0) / 1000, interrupted: opts.signal?.aborted === true, cancelled: stopped, cancel_requested: requested }, 'run finished');
    return { ...result, ...submitted, ...(requested ? { cancelRequested: true, ...(stopped ? { stoppedByCancel: true } : {}) } : {}) };
  } catch (e) {
    log.error({ err: e }, 'run failed');
    throw e;
  } finally {
    stats.close();
    controllerLog.close();
    await live?.release({ removeParts: false }).catch(() => undefined);
    await lock.release();
  }
}
