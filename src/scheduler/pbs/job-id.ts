// PBS job ids: what qsub prints for jobs, arrays and subjobs (PBS Pro, Torque, Slurm's wrapper), parsed and compared.
import { SchedulerError } from '../../errors.js';

/**
 * A job id as qsub prints it: `1234.server` (job), `1234[].server` (array), `1234[7].server`
 * (subjob), optionally `@server`; Slurm's wrapper prints the bare Slurm id `1234`.
 */
export const JOB_ID_RE = /^([0-9]+)(?:\[([0-9]*)\])?((?:\.[A-Za-z0-9_-]+)*)(@[A-Za-z0-9_.-]+)?$/;

/** The parts of a PBS job id. */
export interface PbsJobId {
  /** The sequence number, `1234`. */
  seq: string;
  /** `[]` (array) or `[7]` (subjob) was present. */
  array: boolean;
  /** The subjob index, for `1234[7]`. */
  index: number | null;
  /** `.server.domain` including the leading dot, or ''. */
  suffix: string;
}

/** Parses `1234`, `1234.srv`, `1234[].srv`, `1234[7].srv` (and `@server`); throws on anything else. */
export function parsePbsJobId(id: string): PbsJobId {
  const m = JOB_ID_RE.exec(id.trim());
  if (!m) throw new SchedulerError(`"${id}" is not a PBS job id (expected 1234, 1234.server, 1234[].server or 1234[7].server)`);
  return {
    seq: m[1],
    array: m[2] !== undefined,
    index: m[2] === undefined || m[2] === '' ? null : Number(m[2]),
    suffix: m[3] ?? '',
  };
}

/** `1234[7].srv` → `1234[].srv` (the array the subjob belongs to); other ids unchanged. */
export function arrayIdOf(id: string): string {
  const j = parsePbsJobId(id);
  return j.index === null ? id.trim() : `${j.seq}[]${j.suffix}`;
}

/** The id of element `index` of the job qsub printed: `1234[].srv` → `1234[7].srv`; a plain job is its own element 0. */
export function subjobId(jobId: string, index: number): string {
  const j = parsePbsJobId(jobId);
  return j.array ? `${j.seq}[${index}]${j.suffix}` : jobId.trim();
}

export function checkJobIds(command: string, jobIds: readonly string[]): string[] {
  if (jobIds.length === 0) {
    throw new SchedulerError(`${command}: no job ids given (refusing to query or delete every job of the user)`);
  }
  for (const id of jobIds) parsePbsJobId(id);
  return [...new Set(jobIds.map((id) => id.trim()))];
}

/** True when `a` and `b` name the same job or array (server suffixes may be short or fully qualified). */
export function sameJob(a: string, b: string): boolean {
  const x = JOB_ID_RE.exec(a.trim());
  const y = JOB_ID_RE.exec(b.trim());
  if (!x || !y || x[1] !== y[1] || (x[2] === undefined) !== (y[2] === undefined)) return false;
  const [sx, sy] = [(x[3] ?? '').split('.')[1] ?? '', (y[3] ?? '').split('.')[1] ?? ''];
  return sx === '' || sy === '' || sx === sy;
}
