// What a controller does once `arrayflow cancel` stops it (journal/cancel.ts): cancel its own jobs, and record each task it
// still owed an attempt as `cancelled`, so that the run ends with one row per task and nothing is retried automatically.
import { appendJournal } from '../journal/journal.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { failedOnBehalf } from '../records/on-behalf.js';
import type { WorkItem } from '../records/owed.js';
import type { TaskRecord } from '../records/record.js';
import { RecordWriter } from '../records/writer.js';
import type { Logger } from '../util/log.js';
import type { SchedulerRunner } from './runner.js';

/** The reason of a task the cancel stopped before its attempt started (never submitted, or still queued on this machine). */
export const CANCELLED_BEFORE_START = 'cancelled: arrayflow cancel stopped the ensemble before this attempt started';
/** The reason of a local task whose simulation the cancel stopped while it ran. */
export const CANCELLED_WHILE_RUNNING = 'cancelled: arrayflow cancel stopped the ensemble while this attempt ran';

/**
 * A `source: controller` failed record of `item` cancelled by `arrayflow cancel`; `stopped` is the attempt's own record
 * when it ran and was stopped (a local worker's `interrupted` one): its host, times and stderr tail are kept. One not
 * started has the time of the cancel (`times: noticed`).
 */
export function cancelledRecord(item: WorkItem, stopped: TaskRecord | null = null): TaskRecord {
  return failedOnBehalf(stopped, {
    task: item.task,
    attempt: item.attempt,
    reason: stopped ? CANCELLED_WHILE_RUNNING : CANCELLED_BEFORE_START,
    source: 'controller',
    job_id: null,
  });
}

/**
 * Cancels the jobs of a stopped controller that may still run (`arrayflow cancel` cancelled the journalled ones; one
 * submitted meanwhile is not among them) and journals the cancel. A refusal is logged, not thrown: the scheduler's
 * verdicts still end the loop, and the jobs may have ended already.
 */
export async function cancelJobs(runner: SchedulerRunner | null, jobIds: string[], layout: EnsembleLayout, runId: string, log?: Logger): Promise<void> {
  log?.warn({ job_ids: jobIds }, 'arrayflow cancel: nothing more is started or submitted; the unfinished tasks are recorded as cancelled');
  if (runner && jobIds.length > 0) await runner.cancel(jobIds).catch((err: unknown) => log?.warn({ err, job_ids: jobIds }, 'cancelling the jobs failed: their elements end as the scheduler says'));
  appendJournal(layout.journal, { event: 'cancelled', job_ids: jobIds, run: runId });
}

/**
 * Writes a `cancelled` record for each item not started (`stopped`: the records of attempts stopped while they ran, at
 * their own attempt) into the controller's record file of run `runId`. Returns the records written.
 */
export function writeCancelled(layout: EnsembleLayout, runId: string, items: readonly WorkItem[], stopped: readonly TaskRecord[] = []): TaskRecord[] {
  const recs = [...items.map((item) => cancelledRecord(item)), ...stopped.map((r) => cancelledRecord(r, r))];
  if (recs.length === 0) return recs;
  const writer = new RecordWriter(layout.recordFile(`controller-${runId}`));
  try {
    for (const r of recs) writer.write(r);
  } finally {
    writer.close();
  }
  return recs;
}
