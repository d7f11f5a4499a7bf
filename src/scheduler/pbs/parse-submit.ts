// Parsers of what PBS prints about submissions: the job id qsub printed, the jobs qselect found by name.
import { SchedulerError } from '../../errors.js';
import { JOB_ID_RE, arrayIdOf } from './job-id.js';

/**
 * Parses qsub's stdout: the job id on the last non-empty line. PBS Pro prints `1234.server` or
 * `1234[].server` for an array, Torque `1234.server` / `1234[].server`, Slurm's wrapper the bare
 * Slurm id `1234` (for arrays too).
 */
export function parseQsubOutput(stdout: string): string {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (JOB_ID_RE.test(lines[i])) return lines[i];
  }
  throw new SchedulerError(
    stdout.trim() === ''
      ? 'qsub printed no job id (stdout was empty)'
      : `qsub printed no job id: "${stdout.trim().slice(0, 500)}" (expected 1234.server, 1234[].server or 1234)`,
  );
}

/** Parses qselect output (one job id per line) into the ids of the jobs/arrays, subjob ids folded into their array. */
export function parseQselectOutput(stdout: string): string[] {
  const ids: string[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (line === '' || !JOB_ID_RE.test(line)) continue;
    const id = arrayIdOf(line);
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}
