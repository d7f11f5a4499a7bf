// `arrayflow cancel`: stop an ensemble's work — the running controller (cancel.json, journal/cancel.ts) and every submitted array job (one scheduler call).
import { SchedulerRunner } from '../executor/runner.js';
import { writeCancelRequest } from '../journal/cancel.js';
import { appendJournal } from '../journal/journal.js';
import { type LockHolder, lockHolder } from '../journal/lock.js';
import { journalSubmissions } from '../journal/submissions.js';
import { readPlan } from '../plan/read.js';
import { batchScheduler } from '../scheduler/registry.js';
import type { Transport } from '../transport/transport.js';
import { schedulerTransport } from './transport.js';

/** What `cancel` did: the array jobs it cancelled, and the controller it asked to stop (null: none was running). */
export interface CancelResult {
  jobIds: string[];
  controller: LockHolder | null;
}

/**
 * Stops an ensemble's work. The controller running it (`run`, `resume`, `retry`), if any, is asked to stop first: from
 * its next tick it submits and starts nothing more, cancels its own jobs, records every task it still owed an attempt as
 * `cancelled` and ends. Then every journalled array job is cancelled with one scheduler call. A controller started
 * later is not stopped (`resume` is asked for), and a cancelled task runs again only by `retry`.
 */
export async function cancelEnsemble(ensembleDir: string, opts: { transport?: Transport } = {}): Promise<CancelResult> {
  const { layout, plan } = await readPlan(ensembleDir);
  const controller = await lockHolder(layout.lock);
  await writeCancelRequest(layout, controller);
  const ids = [...new Set((await journalSubmissions(layout)).map((s) => s.jobId))];
  if (ids.length > 0) {
    const transport = opts.transport ?? (await schedulerTransport(plan.executor));
    try {
      await new SchedulerRunner(batchScheduler(plan.executor.type, plan.executor.dialect), transport).cancel(ids);
    } finally {
      if (!opts.transport) await transport.close();
    }
  }
  // the journal has one writer at a time: a running controller journals the cancel itself, with the jobs it cancelled
  if (controller === null) appendJournal(layout.journal, { event: 'cancelled', job_ids: ids });
  return { jobIds: ids, controller };
}
