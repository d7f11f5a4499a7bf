// PBS argv builders: qsub, qstat (Pro, Torque, Slurm's wrapper), qselect, qdel (pure; src/executor/runner.ts runs them).
import { SchedulerError } from '../../errors.js';
import { checkJobIds } from './job-id.js';
import type { PbsDialect } from './states.js';

// ------------------------------------------------------------------ submit

// Characters that pass through a shell unchanged (Slurm's qsub wrapper builds one shell command line
// from its arguments without quoting them: /usr/bin/qsub, "my @command_output = `$command 2>&1`").
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * argv to submit one job script with qsub. `stdout`/`stderr` become `-o`/`-e` (command-line options
 * win over `#PBS` directives: qsub(1B)). `viaShell` says qsub passes its arguments through a shell
 * unquoted (Slurm's Torque wrapper does): then every argument must be made of shell-safe characters.
 */
export function qsubArgv(script: string, options: { stdout?: string; stderr?: string; viaShell?: boolean } = {}): string[] {
  const argv = ['qsub'];
  const add = (flag: string, path: string | undefined) => {
    if (path !== undefined) argv.push(flag, path);
  };
  add('-o', options.stdout);
  add('-e', options.stderr);
  if (script === '') throw new SchedulerError('qsub: empty script path');
  argv.push(script.startsWith('-') ? `./${script}` : script);
  for (const a of argv.slice(1)) {
    if (/[\0\n\r]/.test(a)) throw new SchedulerError(`qsub: ${JSON.stringify(a)} contains a line break or NUL`);
    if (options.viaShell && !SHELL_SAFE.test(a)) {
      throw new SchedulerError(
        `qsub: ${JSON.stringify(a)} has characters a shell would interpret, and Slurm's qsub wrapper passes its arguments ` +
          'through a shell unquoted — move the ensemble to a path made of letters, digits and _@%+=:,./-',
      );
    }
  }
  return argv;
}

/** argv to delete whole arrays (`1234[].srv`), subjobs or jobs. */
export function qdelArgv(jobIds: readonly string[]): string[] {
  return ['qdel', ...checkJobIds('qdel', jobIds)];
}

// ------------------------------------------------------------------ status argv

/**
 * argv for ONE PBS Pro status query covering all given jobs: `-f -F json` (full, JSON), `-t` (one
 * entry per subjob, queued ones too), `-x` (finished jobs, when the server keeps job history).
 */
export function qstatProArgv(jobIds: readonly string[]): string[] {
  return ['qstat', '-f', '-F', 'json', '-x', '-t', ...checkJobIds('qstat', jobIds)];
}

/** argv for ONE Torque status query: `-f` (full text), `-t` (expand arrays into their subjobs). Completed jobs stay (state C) for keep_completed seconds. */
export function qstatTorqueArgv(jobIds: readonly string[]): string[] {
  return ['qstat', '-f', '-t', ...checkJobIds('qstat', jobIds)];
}

/** argv for Slurm's qstat wrapper: `-f` only (it knows no -t/-x and lists array tasks under their own Slurm job ids). */
export function qstatSlurmWrapperArgv(jobIds: readonly string[]): string[] {
  return ['qstat', '-f', ...checkJobIds('qstat', jobIds)];
}

/**
 * argv to find jobs by name (after a controller died between qsub and the journal). PBS Pro: `-x`
 * includes finished jobs. Torque's qselect has no -x (completed jobs are found while kept).
 */
export function qselectArgv(dialect: PbsDialect, name: string): string[] {
  if (!/^[A-Za-z0-9][\x21-\x7e]*$/.test(name)) throw new SchedulerError(`qselect: "${name}" is not a PBS job name`);
  return dialect === 'pro' ? ['qselect', '-x', '-N', name] : ['qselect', '-N', name];
}
