// Parsers of what Slurm prints about submissions: the job id of `sbatch --parsable`, the job ids found by name.
import { SchedulerError } from '../../errors.js';

/** Parses `sbatch --parsable` stdout: `123` or `123;cluster` (federations / multi-cluster). */
export function parseSbatchOutput(stdout: string): { jobId: string; cluster?: string } {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^([0-9]+)(?:;(\S+))?$/.exec(lines[i]);
    if (m) return m[2] === undefined ? { jobId: m[1] } : { jobId: m[1], cluster: m[2] };
  }
  throw new SchedulerError(
    stdout.trim() === ''
      ? 'sbatch printed no job id (stdout was empty): run it with --parsable and without -Q'
      : `sbatch printed no job id: "${stdout.trim()}" (expected "123" or "123;cluster" from --parsable)`,
  );
}

/** Parses findArgv output (sacct JobID or squeue %F lines) into the distinct array job ids, in order. */
export function parseFindOutput(stdout: string): string[] {
  return [...new Set(stdout.split('\n').map((l) => /^([0-9]+)/.exec(l.trim())?.[1]).filter((x): x is string => !!x))];
}
