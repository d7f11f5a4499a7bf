// The config's prologue: a one-time setup command run before the first task of an ensemble (and before a smoke run),
// on this machine in the ensemble directory; its output goes to logs/prologue.log, its success into the journal.
import { mkdir, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { PrologueSpec } from '../config/types.js';
import { EnsembleError } from '../errors.js';
import { type JournalEntry, appendJournal } from '../journal/journal.js';
import type { EnsembleLayout } from '../layout/layout.js';

/** Characters of the prologue's stderr (else stdout) quoted when it fails. */
const TAIL_CHARS = 2000;

/** Whether the journal holds a prologue that succeeded: it is not run again. */
export function prologueDone(journal: readonly JournalEntry[]): boolean {
  return journal.some((e) => e.event === 'prologue' && e.exit_code === 0);
}

/**
 * Runs `spec` once in the ensemble directory without a shell ($ARRAYFLOW_ENSEMBLE, $ARRAYFLOW_CONFIG_DIR set), writes
 * its output to logs/prologue.log and journals the outcome. Resolves with its duration in seconds; throws
 * EnsembleError, quoting the end of its stderr, when it fails.
 */
export async function runPrologue(layout: EnsembleLayout, spec: PrologueSpec): Promise<number> {
  const t0 = Date.now();
  const r = await execa(spec.command[0], spec.command.slice(1), {
    cwd: layout.root,
    env: { ARRAYFLOW_ENSEMBLE: layout.root, ARRAYFLOW_CONFIG_DIR: spec.config_dir },
    reject: false,
    stdin: 'ignore',
    all: true,
  });
  const duration_s = (Date.now() - t0) / 1000;
  const log = `${layout.logsDir}/prologue.log`;
  await mkdir(layout.logsDir, { recursive: true });
  await writeFile(log, String(r.all ?? ''));
  appendJournal(layout.journal, { event: 'prologue', command: spec.command, exit_code: r.exitCode ?? null, duration_s });
  if (!r.failed) return duration_s;
  const said = (String(r.stderr ?? '').trim() || String(r.stdout ?? '').trim()).slice(-TAIL_CHARS);
  const how = r.exitCode === undefined ? ((r as { shortMessage?: string }).shortMessage ?? 'could not start') : `exited ${r.exitCode}`;
  throw new EnsembleError(
    `the prologue (${spec.command.join(' ')}) ${how}${said ? `:\n${said}` : ''}\nno task ran; its output: ${log}. Fix prologue.command in the config and run it again`,
  );
}
