// `arrayflow cancel`: every submitted array job of an ensemble, cancelled with one scheduler call (journalled).
import { journalSubmissions } from '../executor/batch.js';
import { batchScheduler } from '../executor/registry.js';
import { appendJournal } from '../journal/journal.js';
import { readPlan } from '../plan/read.js';
import type { Transport } from '../transport/transport.js';
import { schedulerTransport } from './transport.js';

/** Cancels every submitted array job of an ensemble with one scheduler call. */
export async function cancelEnsemble(ensembleDir: string, opts: { transport?: Transport } = {}): Promise<string[]> {
  const { layout, plan } = await readPlan(ensembleDir);
  const ids = [...new Set((await journalSubmissions(layout)).map((s) => s.jobId))];
  if (ids.length === 0) return [];
  const sched = batchScheduler(plan.executor.type, plan.executor.dialect);
  const transport = opts.transport ?? (await schedulerTransport(plan.executor));
  try {
    const argv = sched.cancelArgv(ids);
    const r = await transport.run(argv);
    if (r.exitCode !== 0) throw sched.queryError(argv, r.stderr, r.exitCode);
  } finally {
    if (!opts.transport) await transport.close();
  }
  appendJournal(layout.journal, { event: 'cancelled', job_ids: ids });
  return ids;
}
