// Slurm argv builders: sbatch, squeue, sacct, scancel, and the find-by-name queries (pure; src/executor/runner.ts runs them).
import { SchedulerError } from '../../errors.js';

// ------------------------------------------------------------------ job ids

// 123, 123_4 (one array task) or 123_[1-5%2] (what squeue/sacct print for a pending remainder).
const JOB_ID_RE = /^[0-9]+(?:_(?:[0-9]+|\[[0-9,:%-]+\]))?$/;

/** Validates job ids for a -j list or scancel; an empty list is refused because `-j ''` would select every job. */
function checkJobIds(command: string, jobIds: readonly string[]): string[] {
  if (jobIds.length === 0) {
    throw new SchedulerError(`${command}: no job ids given (refusing to query or cancel every job of the user)`);
  }
  for (const id of jobIds) {
    if (!JOB_ID_RE.test(id)) {
      throw new SchedulerError(`${command}: "${id}" is not a Slurm job id (expected 123, 123_4 or 123_[1-5])`);
    }
  }
  return [...new Set(jobIds)];
}

// ------------------------------------------------------------------ submit

/**
 * argv to submit one batch script. `--parsable` makes sbatch print `jobid[;cluster]` only.
 * Never add `-Q`: `sbatch --parsable -Q` prints nothing at all, so the job id would be lost.
 */
export function sbatchArgv(scriptPath: string): string[] {
  if (scriptPath === '' || /[\0\n]/.test(scriptPath)) {
    throw new SchedulerError(`sbatch: invalid script path ${JSON.stringify(scriptPath)}`);
  }
  // A relative path starting with "-" would be read as an option.
  return ['sbatch', '--parsable', scriptPath.startsWith('-') ? `./${scriptPath}` : scriptPath];
}

// ------------------------------------------------------------------ status and cancel

/**
 * What every status query starts with: squeue and sacct print times (squeue %S/%e, sacct Start/End) with strftime(3)'s
 * format in SLURM_TIME_FORMAT, by default the local time of the host that runs them without a zone; `%s` makes them
 * seconds since the epoch, the same instant in any zone (a controller on a workstation in another zone than the
 * cluster). `env` carries the variable in the argv itself, so it reaches the command through any transport (an sshd
 * passes on only the variables its AcceptEnv names) and beats a SLURM_TIME_FORMAT in the user's login environment.
 * A constant: no value of a task comes near it. `Unknown`, `None`, `NONE` and `N/A` still say "no time".
 */
export const EPOCH_TIMES = ['env', 'SLURM_TIME_FORMAT=%s'] as const;

/** The fields sacctArgv asks for, in order. */
export const SACCT_FIELDS = ['JobID', 'JobIDRaw', 'State', 'ExitCode', 'Reason', 'NodeList', 'Start', 'End'] as const;

/**
 * argv for ONE sacct call covering all given jobs (array ids give all their tasks). `-X` keeps
 * only the allocation line of each element (no .batch/.extern steps), `-P` separates by `|`.
 * No --starttime is needed: with -j, sacct's window starts at the epoch (sacct(1), -S).
 */
export function sacctArgv(jobIds: readonly string[]): string[] {
  const ids = checkJobIds('sacct', jobIds);
  return [...EPOCH_TIMES, 'sacct', '-X', '-n', '-P', '-j', ids.join(','), '-o', SACCT_FIELDS.join(',')];
}

/** The format squeueArgv asks for: job id, raw id, array job id, task id or range, state, reason, nodes, start and end time. */
export const SQUEUE_FORMAT = '%i|%A|%F|%K|%T|%r|%N|%S|%e';

/** The format of a state-only squeue (`--only-job-state`): the job id as displayed (`12_3`, `12_[4-9%2]`, `12`) and the state. */
export const SQUEUE_STATE_FORMAT = '%i|%T';

/**
 * argv for ONE squeue call covering all given jobs, including finished ones still within
 * MinJobAge (`-t all`). A pending remainder prints as one line (`6_[2-99%10]`) unless
 * `expandPending` adds `-r`, which prints one line per pending index — 10^5 lines for a large
 * chunk, so it stays off by default (scheduler citizenship).
 */
export function squeueArgv(jobIds: readonly string[], options: { expandPending?: boolean; stateOnly?: boolean } = {}): string[] {
  const ids = checkJobIds('squeue', jobIds);
  return [
    // the state-only format prints no times; the same start keeps one shape for every status query
    ...EPOCH_TIMES, 'squeue', '-h', ...(options.expandPending ? ['-r'] : []),
    // Slurm 23.11+: a state-only RPC (and, with SchedulerParameters=enable_job_state_cache, one that takes no job lock);
    // every field but the id and the state would be empty, so only those are asked for
    ...(options.stateOnly ? ['--only-job-state'] : []),
    '-t', 'all', '-j', ids.join(','), '-o', options.stateOnly ? SQUEUE_STATE_FORMAT : SQUEUE_FORMAT,
  ];
}

/** argv to cancel whole arrays (`123`), single tasks (`123_4`) or plain jobs. */
export function scancelArgv(jobIds: readonly string[]): string[] {
  return ['scancel', ...checkJobIds('scancel', jobIds)];
}

/** argv to cancel the still-queued elements of arrays, leaving the running ones alone (`scancel --state=PENDING`). */
export function scancelPendingArgv(jobIds: readonly string[]): string[] {
  return ['scancel', '--state=PENDING', ...checkJobIds('scancel', jobIds)];
}

/**
 * argv to find the array job ids held under a job name (a submission the journal missed). The live queue
 * (`squeue -t all`, finished jobs until MinJobAge) or, with accounting, the database over the last 30 days.
 */
export function findArgv(name: string, accounting: boolean): string[] {
  return accounting
    ? ['sacct', '-X', '-n', '-P', '--name', name, '-S', 'now-30days', '-o', 'JobID']
    : ['squeue', '-h', '-t', 'all', '--name', name, '-o', '%F'];
}
