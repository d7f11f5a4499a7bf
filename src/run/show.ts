// `arrayflow show`: provenance of an ensemble (its manifest) plus the hosts and scheduler jobs that ran its tasks.
import { readFile } from 'node:fs/promises';
import { journalSubmissions } from '../journal/submissions.js';
import { readPlan } from '../plan/read.js';
import { readFinals } from '../records/read.js';
import { type Counts, countFinals } from './types.js';

/** `arrayflow show`: the provenance manifest plus the hosts and job ids that ran tasks. */
export async function showEnsemble(ensembleDir: string): Promise<{ manifest: unknown; hosts: string[]; jobs: string[]; counts: Counts }> {
  const { layout, plan } = await readPlan(ensembleDir);
  const manifest = JSON.parse(await readFile(layout.manifest, 'utf8')) as unknown;
  const finals = await readFinals(layout.resultsDir);
  const hosts = [...new Set([...finals.values()].map((r) => r.host))].sort();
  const jobs = [...new Set((await journalSubmissions(layout)).map((s) => s.jobId))];
  return { manifest, hosts, jobs, counts: countFinals(plan, finals) };
}
