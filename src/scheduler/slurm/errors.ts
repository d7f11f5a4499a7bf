// Slurm's failures read: sbatch rejections (transient or permanent, with a next step), query errors, unknown job ids.
import { SchedulerError } from '../../errors.js';
import { programOf } from '../../util/program.js';

// Errors worth retrying later: the controller is busy, restarting or unreachable.
const TRANSIENT_PATTERNS: readonly RegExp[] = [
  /Socket timed out/i,
  /Resource temporarily unavailable/i,
  /Unable to contact slurm controller/i,
  /Slurm temporarily unable to accept job/i,
  /Zero Bytes were transmitted or received/i,
  /Communication connection failure/i,
  /Connection refused/i,
  /Problem talking to the database/i, // sacct/sacctmgr while slurmdbd restarts
];

// "Job violates accounting/QOS policy" covers every association/QOS limit; sbatch prints the
// specific one on the line before it (e.g. "sbatch: error: AssocMaxSubmitJobLimit"). Only the
// submit-count limits clear up by themselves when queued jobs finish; size/time limits
// (QOSMaxCpuPerJobLimit, QOSMaxWallDurationPerJobLimit, ...) never do.
const LIMIT_NAME_RE = /\b(?:Assoc|QOS)[A-Za-z]*Limit\b/g;
const SUBMIT_LIMIT_RE = /SubmitJob/;
const GENERIC_SUBMIT_LIMIT_RE = /Job violates accounting\/QOS policy \(job submit limit/i;

function isSubmitLimit(stderr: string): boolean {
  const names = stderr.match(LIMIT_NAME_RE) ?? [];
  if (names.length > 0) return names.every((n) => SUBMIT_LIMIT_RE.test(n));
  // No specific limit named (older Slurm): the generic message starts with "job submit limit".
  return GENERIC_SUBMIT_LIMIT_RE.test(stderr);
}

// Next steps for common permanent rejections (matched on sbatch's own words).
const HINTS: ReadonlyArray<[RegExp, string]> = [
  [/Invalid partition name/i, 'check executor.resources.partition (sinfo lists the partitions)'],
  [/Invalid account/i, 'check executor.resources.account (sacctmgr show assoc user=$USER)'],
  [/Invalid qos/i, 'check executor.resources.qos'],
  [/Invalid job array specification/i, 'array indexes must stay below MaxArraySize (scontrol show config)'],
  [/Requested node configuration is not available|Memory specification can not be satisfied/i,
    'no node has the requested cpus/mem/gres: lower executor.resources'],
  [/Requested time limit is invalid|time limit/i, 'check executor.resources.time against the partition MaxTime (sinfo -o "%P %l")'],
  [/Unable to open file/i, 'the script path must exist on the host that runs sbatch'],
  [/accounting storage is disabled/i, 'this cluster has no sacct: use squeue (finished jobs stay only MinJobAge seconds)'],
];

function hintFor(stderr: string): string {
  for (const [re, hint] of HINTS) if (re.test(stderr)) return ` — ${hint}`;
  return '';
}

function isTransient(stderr: string): boolean {
  return TRANSIENT_PATTERNS.some((re) => re.test(stderr));
}

/**
 * Turns a failed sbatch (its stderr and exit code) into a SchedulerError. `transient` is true for
 * controller timeouts/EAGAIN/unreachable and for submit-count limits (MaxSubmitJobs), which clear
 * when queued jobs finish: retry those later with backoff (and a bound). Anything else is
 * permanent. The message quotes stderr verbatim.
 */
export function classifySbatchError(
  stderr: string,
  exitCode: number,
  options: { script?: string; cause?: unknown } = {},
): SchedulerError {
  const text = stderr.trim();
  const what = options.script ?? 'the batch script';
  const cause = { cause: options.cause };
  if (isSubmitLimit(text)) {
    return new SchedulerError(
      `sbatch refused ${what} (exit ${exitCode}) because the submit limit is reached: "${text}" — retry when queued jobs have finished`,
      { ...cause, transient: true },
    );
  }
  if (isTransient(text)) {
    return new SchedulerError(
      `sbatch could not submit ${what} (exit ${exitCode}): "${text}" — the Slurm controller is busy or unreachable, retry later`,
      { ...cause, transient: true },
    );
  }
  return new SchedulerError(`sbatch rejected ${what} (exit ${exitCode}): "${text}"${hintFor(text)}`, {
    ...cause,
    transient: false,
  });
}

/**
 * True when squeue/scontrol said "Invalid job id specified": the job left the controller (MinJobAge
 * passed) and no other id in the list was known. squeue exits 1 with this message only when a
 * *single* unknown id is asked for; with several ids it prints the known ones and exits 0.
 * Treat it as an empty answer, not as an error.
 */
export function isUnknownJobError(stderr: string): boolean {
  return /Invalid job id specified/i.test(stderr);
}

/** Turns a failed squeue/sacct/scontrol/sacctmgr/scancel call into a SchedulerError (transient when worth retrying). */
export function classifyQueryError(
  argv: readonly string[],
  stderr: string,
  exitCode: number,
  options: { cause?: unknown } = {},
): SchedulerError {
  const text = stderr.trim();
  const cmd = argv.length > 0 ? programOf(argv) : 'slurm command';
  const transient = isTransient(text);
  return new SchedulerError(
    `${cmd} failed (exit ${exitCode}): "${text}"${transient ? ' — the Slurm controller or database is busy or unreachable, retry later' : hintFor(text)}`,
    { cause: options.cause, transient },
  );
}
