// `collect --follow`: keep the live dataset current until every task has its final row, then compact; wait while another process keeps it.
import { readJournal, retryRequests } from '../journal/journal.js';
import { lockHolder } from '../journal/lock.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { readPlan } from '../plan/read.js';
import { FinalIndex } from '../records/final-index.js';
import { type RetryPolicy, owedAttempt, retryPolicy } from '../records/owed.js';
import { awaitsScheduler } from '../records/select-final.js';
import type { WatchPlan } from '../watch/fstype.js';
import { RecordFollower } from '../watch/records.js';
import { type FlushInfo, LiveDataset, type LiveDatasetOptions } from './live-dataset.js';

/**
 * Whether every task has its final row: each has a final record that ends it (not an interrupted attempt) and, while a controller still runs and
 * may change it (`policy` given), none is owed another attempt (retries, retry_on, `retry --failed`)
 * or waits for the scheduler's reason.
 */
export async function isComplete(live: Pick<LiveDataset, 'ended' | 'failedFinals'>, tasks: number, policy: RetryPolicy | null): Promise<boolean> {
  if (live.ended < tasks) return false;
  if (policy === null) return true;
  // every task ended: only a failed one can be owed an attempt or await the scheduler's reason
  for (const r of await live.failedFinals()) {
    if (owedAttempt(r, policy) !== null || awaitsScheduler(r)) return false;
  }
  return true;
}

export interface FollowProgress {
  total: number;
  done: number;
  failed: number;
  /** 'live': this process keeps dataset/ current; 'waiting': another process does (`holder`). */
  role: 'live' | 'waiting';
  holder?: { pid: number; host: string };
  flush?: FlushInfo;
  watch?: WatchPlan;
}

export interface FollowOptions<R> extends LiveDatasetOptions {
  signal?: AbortSignal;
  onProgress?: (p: FollowProgress) => void;
  /** Writes dataset.parquet/csv from the records once complete (the CLI passes the controller's collect). */
  compact: () => Promise<R>;
}

export interface FollowResult<R> {
  complete: boolean;
  /** What `compact` returned (null when interrupted first). */
  compacted: R | null;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });

/**
 * `arrayflow collect --follow`: keeps dataset/ current until every task has its final row, then
 * compacts (dataset.parquet + dataset.csv from the records) and removes the parts. When another
 * process (a running `run`) keeps dataset/, it waits and reports progress, and takes over if that
 * process goes away before the end.
 */
export async function followEnsemble<R>(layout: EnsembleLayout, initialPlan: PlanFile, opts: FollowOptions<R>): Promise<FollowResult<R>> {
  let plan = initialPlan;
  // while a controller runs, it may still retry failures: what it owes comes from the plan and the journal
  const owedPolicy = async (): Promise<RetryPolicy | null> =>
    (await lockHolder(layout.lock)) === null ? null : retryPolicy(plan.retries, plan.executor.retry_on, retryRequests(await readJournal(layout.journal)));
  const pollMs = opts.pollMs ?? 1000;
  let counter: { follower: RecordFollower; index: FinalIndex } | null = null;
  while (!opts.signal?.aborted) {
    let check: () => void = () => undefined;
    const live = await LiveDataset.open(layout, plan, {
      ...opts,
      onFlush: (f) => {
        opts.onFlush?.(f);
        opts.onProgress?.({ total: f.total, done: f.done, failed: f.failed, role: 'live', flush: f });
        check();
      },
    });
    if (live === null) {
      // someone else keeps dataset/ current: count records ourselves for progress, and try again later
      if (counter === null) {
        const index = new FinalIndex(plan.tasks, []);
        counter = { follower: new RecordFollower(layout.resultsDir, { ...opts, index }), index };
      }
      const { changed } = await counter.follower.poll();
      const h = await lockHolder(layout.followLock);
      if (changed.length > 0 || h === null) {
        opts.onProgress?.({
          total: plan.tasks,
          done: counter.index.doneTasks,
          failed: counter.index.failedTasks,
          role: 'waiting',
          ...(h ? { holder: { pid: h.pid, host: h.host } } : {}),
        });
      }
      await sleep(pollMs, opts.signal);
      continue;
    }
    await counter?.follower.close();
    counter = null;
    let outcome = 'stopped' as 'complete' | 'replan' | 'stopped';
    try {
      const finished = new Promise<void>((resolve) => {
        let checking = false;
        check = () => {
          if (checking) return;
          checking = true;
          void (async () => {
            // `extend` grew the task table: follow the new plan (the committed parts stay valid)
            const now = (await readPlan(layout.root).catch(() => null))?.plan;
            if (now && now.id === plan.id && now.tasks !== plan.tasks) {
              plan = now;
              outcome = 'replan';
              resolve();
            } else if (await isComplete(live, plan.tasks, await owedPolicy())) {
              outcome = 'complete';
              resolve();
            }
          })()
            .catch((e) => opts.onError?.(e))
            .finally(() => (checking = false));
        };
        opts.signal?.addEventListener('abort', () => resolve());
      });
      const watch = await live.start();
      opts.onProgress?.({ total: plan.tasks, done: live.done, failed: live.failed, role: 'live', watch });
      check();
      // the controller ending (it may have owed a retry) changes completeness without a new record
      const timer = setInterval(check, pollMs);
      try {
        await finished;
      } finally {
        clearInterval(timer);
      }
      await live.stop();
      if (outcome === 'replan') {
        await live.release({ removeParts: false });
        continue;
      }
      if (outcome !== 'complete') {
        await live.release({ removeParts: false });
        return { complete: false, compacted: null };
      }
      const compacted = await opts.compact();
      await live.release({ removeParts: true });
      return { complete: true, compacted };
    } catch (e) {
      await live.release({ removeParts: false }).catch(() => undefined);
      throw e;
    }
  }
  await counter?.follower.close();
  return { complete: false, compacted: null };
}
