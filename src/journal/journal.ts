// The append-only journal of an ensemble (journal.ndjson): one JSON event per line, written by the controller only.
import { readFile } from 'node:fs/promises';
import type { Provenance } from '../provenance/provenance.js';
import { AppendOnlyFile } from '../util/fs.js';

/** One changed execution setting: its key path (`executor.resources.time`) and both values (undefined: unset). */
export interface SettingChange {
  key: string;
  from: unknown;
  to: unknown;
}

export type JournalEvent =
  | { event: 'planned'; tasks: number; elements: number; task_hash: string; bundle?: number; bundle_reason?: string }
  | { event: 'run_started'; run: string; executor: string; pending: number }
  | { event: 'run_finished'; run: string; done: number; failed: number; pending: number }
  | { event: 'submitted'; run: string; chunk: string; job_id: string; elements: number; offset: number; attempt: number; tasks_file?: string; bundle?: number }
  /**
   * A listed resubmission about to be submitted (its task list is written): a controller killed before `submitted`
   * leaves this, and the next one adopts the job of that name with this list and bundle instead of writing another.
   */
  | { event: 'submitting'; chunk: string; elements: number; attempt: number; tasks_file: string; bundle?: number }
  | { event: 'bundle_learned'; bundle: number; reason: string }
  | { event: 'collected'; rows: number; done: number; failed: number }
  /**
   * `arrayflow cancel`: the jobs it cancelled, journalled by the command when no controller ran, else by the controller
   * it stopped (`run`: its run id), with the jobs that controller cancelled (one writer of the journal at a time).
   */
  | { event: 'cancelled'; job_ids: string[]; run?: string }
  | { event: 'extended'; from: number; to: number }
  /** `extend --replicates`: tasks [from, to) raise every point to `replicates` replicates. */
  | { event: 'replicated'; replicates: number; from: number; to: number }
  /** The config's prologue ran (exit_code 0: it succeeded and is not run again). */
  | { event: 'prologue'; command: string[]; exit_code: number | null; duration_s: number }
  /** Execution settings changed (timeout, keep, executor...; src/plan/settings.ts): plan.json holds the new ones. */
  | { event: 'settings'; changes: SettingChange[] }
  | { event: 'adaptive'; round: number; from: number; to: number }
  /** `arrayflow retry`: each [task, attempt] gets one more attempt after that one. */
  | { event: 'retry'; tasks: Array<[number, number]> }
  /** A run re-opened the ensemble with other code, inputs or config than the last one recorded (manifest.json's, then these). */
  | { event: 'provenance'; provenance: Provenance }
  /** A collection found tasks whose kept attempt ran more than once: `[task, runs]`, each named again only when its runs grew. */
  | { event: 'reran'; tasks: Array<[number, number]> };

export type JournalEntry = JournalEvent & { ts: string };

export function appendJournal(path: string, event: JournalEvent): void {
  const file = new AppendOnlyFile(path);
  try {
    file.append(JSON.stringify({ ts: new Date().toISOString(), ...event }));
  } finally {
    file.close();
  }
}

/** Reads the journal; an unterminated last line (a writer killed mid-write) is ignored. */
export async function readJournal(path: string): Promise<JournalEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const end = text.lastIndexOf('\n');
  const entries: JournalEntry[] = [];
  for (const line of text.slice(0, end + 1).split('\n')) {
    if (line === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // a torn line left by a writer killed mid-write (AppendOnlyFile sealed it): skip it
    }
  }
  return entries;
}

/** The `[task, after attempt]` requests of every `arrayflow retry` in the journal, oldest first. */
export function retryRequests(journal: JournalEntry[]): Array<[number, number]> {
  return journal.flatMap((e) => (e.event === 'retry' ? e.tasks : []));
}

/** Every `settings` event of the journal, oldest first: when and what changed. */
export function settingsHistory(journal: JournalEntry[]): Array<{ ts: string; changes: SettingChange[] }> {
  return journal.flatMap((e) => (e.event === 'settings' ? [{ ts: e.ts, changes: e.changes }] : []));
}

/** Every `provenance` event of the journal, oldest first. */
export function provenanceHistory(journal: JournalEntry[]): Array<{ ts: string; provenance: Provenance }> {
  return journal.flatMap((e) => (e.event === 'provenance' ? [{ ts: e.ts, provenance: e.provenance }] : []));
}

/** A journal event that added tasks after the ensemble was planned: `extend --budget`, `extend --replicates`, an adaptive round. */
export type TasksAdded = Extract<JournalEntry, { event: 'extended' | 'replicated' | 'adaptive' }>;

/** Every event of the journal that added tasks (tasks [from, to)), oldest first. */
export function tasksAddedHistory(journal: JournalEntry[]): TasksAdded[] {
  return journal.filter((e): e is TasksAdded => e.event === 'extended' || e.event === 'replicated' || e.event === 'adaptive');
}

/** The `[task, runs]` of re-runs not named yet by a `reran` event of the journal (or named with fewer runs). */
export function unjournalledReruns(journal: JournalEntry[], found: Array<[number, number]>): Array<[number, number]> {
  const named = new Map<number, number>();
  for (const e of journal) if (e.event === 'reran') for (const [task, runs] of e.tasks) named.set(task, Math.max(runs, named.get(task) ?? 0));
  return found.filter(([task, runs]) => runs > (named.get(task) ?? 0));
}
