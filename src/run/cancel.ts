// `arrayflow cancel`: every submitted array job of an ensemble, cancelled with one scheduler call (journalled).
import { SchedulerRunner } from '../executor/runner.js';
import { appendJournal } from '../journal/journal.js';
import { journalSubmissions } from '../journal/submissions.js';
import { readPlan } from '../plan/read.js';
import { batchScheduler } from '../scheduler/registry.js';
import type { Transport } from '../transport/transport.js';
import { schedulerTransport } from './transport.js';

/** Cancels every submitted array job of an ensemble with one scheduler call. */
export async function cancelEnsemble(ensembleDir: string, opts: { transport?: Transport } = {}): Promise<string[]> {
  const { layout, plan } = await readPlan(ensembleDir);
  const ids = [...new Set((await journalSubmissions(layout)).map((s) => s.jobId))];
  if (ids.length === 0) return [];
  const transport = opts.transport ?? (await schedulerTransport(plan.executor));
  try {
    await new SchedulerRunner(batchScheduler(plan.executor.type, plan.executor.dialect), transport).cancel(ids);
  } finally {
    if (!opts.transport) await transport.close();
  }
  appendJournal(layout.journal, { event: 'cancelled', job_ids: ids });
  return ids;
}
