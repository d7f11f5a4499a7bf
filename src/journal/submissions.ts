// The array jobs of an ensemble as the journal records them (`submitted` events): what status, cancel and a restarted run start from.
import type { EnsembleLayout } from '../layout/layout.js';
import { readJournal } from './journal.js';

/** One array job: a chunk of the plan's elements, or a resubmission of listed tasks. */
export interface Submission {
  label: string;
  jobId: string;
  /** Elements offset..offset+count-1 (for a resubmission: slices of tasksFile). */
  offset: number;
  count: number;
  attempt: number;
  tasksFile?: string;
  /** Tasks per element of a resubmission (absent: the plan's bundle). */
  bundle?: number;
}

/** Submissions recorded in the journal. */
export async function journalSubmissions(layout: EnsembleLayout): Promise<Submission[]> {
  return (await readJournal(layout.journal)).flatMap((e) =>
    e.event === 'submitted'
      ? [{ label: e.chunk, jobId: e.job_id, offset: e.offset, count: e.elements, attempt: e.attempt, ...(e.tasks_file ? { tasksFile: e.tasks_file } : {}), ...(e.bundle ? { bundle: e.bundle } : {}) }]
      : [],
  );
}

/**
 * The listed resubmission `label` as journalled before its sbatch (a `submitting` event, the last for that label),
 * or null: what a job of that name found in the queue was submitted with.
 */
export async function journalSubmitting(layout: EnsembleLayout, label: string): Promise<Omit<Submission, 'jobId'> | null> {
  let found: Omit<Submission, 'jobId'> | null = null;
  for (const e of await readJournal(layout.journal)) {
    if (e.event === 'submitting' && e.chunk === label) {
      found = { label, offset: 0, count: e.elements, attempt: e.attempt, tasksFile: e.tasks_file, ...(e.bundle ? { bundle: e.bundle } : {}) };
    }
  }
  return found;
}
