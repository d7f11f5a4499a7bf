// PBS failures read: qsub rejections (transient or permanent, with a next step), query errors, unknown job ids.
import { SchedulerError } from '../../errors.js';
import { JOB_ID_RE } from './job-id.js';

// Errors worth retrying later: queue limits that clear as jobs finish, and an unreachable server.
const TRANSIENT_PATTERNS: readonly RegExp[] = [
  /Maximum number of jobs already in queue/i, // PBS Pro / Torque max_queued, max_user_queuable
  /would exceed/i, // PBS Pro: "qsub: would exceed queue ...'s per-user limit of jobs in 'Q' state"
  /Connection refused/i,
  /Connection timed out/i,
  /pbs_iff: cannot connect/i,
  /cannot connect to (?:PBS )?server/i,
  /Socket timed out/i, // Slurm's wrapper quotes sbatch
  /Slurm temporarily unable to accept job/i,
  /Resource temporarily unavailable/i,
];

const HINTS: ReadonlyArray<[RegExp, string]> = [
  [/Unknown queue|Invalid partition/i, 'check executor.resources.partition (qstat -Q lists the queues)'],
  [/Invalid account|Bad account|Unauthorized Request/i, 'check executor.resources.account'],
  [/illegal -J value|illegal -t value/i, 'this PBS rejects the array range: PBS Pro before 2020.1 knows no %throttle — remove executor.array.throttle'],
  [/Array job exceeds server or queue size limit|max_array_size|array.*too large/i, 'the chunk exceeds max_array_size (qmgr -c "print server"): set executor.array.max_array_size lower'],
  [/exceeds queue and\/or server resource limits|Job exceeds queue resource limits|Job violates queue and\/or server resource limits/i, 'lower executor.resources (qstat -Qf lists the queue limits)'],
  [/Unknown resource|Illegal attribute or resource value/i, 'a resource or executor.resources.extra key is not defined on this PBS server'],
  [/walltime/i, 'check executor.resources.time against the queue limits (qstat -Qf)'],
];

function hintFor(text: string): string {
  for (const [re, hint] of HINTS) if (re.test(text)) return ` — ${hint}`;
  return '';
}

/**
 * Turns a failed qsub into a SchedulerError that quotes qsub verbatim. `transient` is true for full
 * queues (they drain) and an unreachable server: retry later with backoff. Slurm's qsub wrapper prints
 * sbatch's error on stdout, not stderr: pass `stdout` when you have it.
 */
export function classifyQsubError(stderr: string, exitCode: number, script: string, stdout = ''): SchedulerError {
  const text = stderr.trim() || stdout.trim();
  if (text === '') {
    return new SchedulerError(
      `qsub rejected ${script} (exit ${exitCode}) without a message on stderr — Slurm's qsub wrapper prints sbatch's error on stdout: run \`qsub ${script}\` by hand to see it`,
      { transient: false },
    );
  }
  if (TRANSIENT_PATTERNS.some((re) => re.test(text))) {
    return new SchedulerError(
      `qsub could not submit ${script} (exit ${exitCode}): "${text}" — the queue is full or the PBS server is unreachable, retry later`,
      { transient: true },
    );
  }
  return new SchedulerError(`qsub rejected ${script} (exit ${exitCode}): "${text}"${hintFor(text)}`, { transient: false });
}

/**
 * True when qstat only said that jobs are unknown: PBS Pro `qstat: Unknown Job Id 1234[].srv`,
 * Torque `qstat: Unknown Job Id Error 1234.srv`, PBS Pro without history `Job has finished, use -x or -H`.
 * Slurm's wrapper exits 153 and prints nothing (see isUnknownJobExit).
 */
export function isUnknownJobError(stderr: string): boolean {
  return /Unknown Job Id|Job has finished, use -x/i.test(stderr);
}

/**
 * The ids qstat named as unknown (one `Unknown Job Id <id>` line each): PBS Pro without job history
 * forgets an array as soon as its last subjob ends, and then fails the whole query (exit > 0) even
 * though it printed the other jobs.
 */
export function parseUnknownJobIds(stderr: string): string[] {
  const ids: string[] = [];
  for (const m of stderr.matchAll(/Unknown Job Id(?: Error)?:?\s+(\S+)|(\S+)\s+Job has finished, use -x/gi)) {
    const id = (m[1] ?? m[2]).replace(/[.,;:]$/, '');
    if (JOB_ID_RE.test(id) && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/** Turns a failed qstat/qselect/qdel/qmgr into a SchedulerError (transient when the server is unreachable). */
export function classifyQueryError(argv: readonly string[], stderr: string, exitCode: number): SchedulerError {
  const text = stderr.trim();
  const cmd = argv[0] ?? 'PBS command';
  const transient = TRANSIENT_PATTERNS.some((re) => re.test(text));
  return new SchedulerError(
    `${cmd} failed (exit ${exitCode}): "${text}"${transient ? ' — the PBS server is busy or unreachable, retry later' : hintFor(text)}`,
    { transient },
  );
}
