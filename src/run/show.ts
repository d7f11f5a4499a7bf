// `arrayflow show`: provenance of an ensemble (its manifest) plus the hosts and scheduler jobs that ran its tasks.
import { readFile } from 'node:fs/promises';
import { type SettingChange, type TasksAdded, provenanceHistory, readJournal, settingsHistory, tasksAddedHistory } from '../journal/journal.js';
import { journalSubmissions } from '../journal/submissions.js';
import { type ExecutionSettings, planSettings } from '../plan/settings.js';
import { readPlan } from '../plan/read.js';
import { readFinals } from '../records/read.js';
import { type Counts, countFinals } from './types.js';

export interface EnsembleShow {
  /**
   * manifest.json: tool and Node versions, host, user, task hash, seeds, timestamps, and `provenance` (docs/provenance.md),
   * as the ensemble was planned: its `tasks` and `sampling.samples` do not grow with `extend` ({@link tasks_added}, `counts`).
   */
  manifest: unknown;
  /** Hosts that wrote final records. */
  hosts: string[];
  /** Scheduler job ids submitted (none on the local executor). */
  jobs: string[];
  /** The tasks of the plan as it is now (extensions included) by their final records. */
  counts: Counts;
  /** Every addition of tasks since the ensemble was planned (`extend`, adaptive rounds; the journal's events), oldest first. */
  tasks_added: TasksAdded[];
  /** The execution settings the next resume uses (timeout, keep, executor). */
  settings: ExecutionSettings;
  /** Every change of them since the ensemble was planned (the journal's `settings` events), oldest first. */
  settings_changes: Array<{ ts: string; changes: SettingChange[] }>;
  /** Later runs that found other code or inputs than the run before (the journal's `provenance` events), oldest first. */
  provenance_changes: ReturnType<typeof provenanceHistory>;
}

/** `arrayflow show`: the provenance manifest, the hosts and job ids that ran tasks, the execution settings and their changes. */
export async function showEnsemble(ensembleDir: string): Promise<EnsembleShow> {
  const { layout, plan } = await readPlan(ensembleDir);
  const manifest = JSON.parse(await readFile(layout.manifest, 'utf8')) as unknown;
  const finals = await readFinals(layout.resultsDir);
  const hosts = [...new Set([...finals.values()].map((r) => r.host))].sort();
  const jobs = [...new Set((await journalSubmissions(layout)).map((s) => s.jobId))];
  const journal = await readJournal(layout.journal);
  const settings_changes = settingsHistory(journal);
  return {
    manifest,
    hosts,
    jobs,
    counts: countFinals(plan, finals),
    tasks_added: tasksAddedHistory(journal),
    settings: planSettings(plan),
    settings_changes,
    provenance_changes: provenanceHistory(journal),
  };
}
