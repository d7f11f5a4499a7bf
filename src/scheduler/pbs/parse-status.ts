// PBS status parsers: qstat -F json (PBS Pro, also when its JSON is broken), qstat -f text (Torque, Slurm's wrapper), pending ranges, status per subjob.
import { SchedulerError } from '../../errors.js';
import { type ElementStatus, isFinal } from '../types.js';
import { parsePbsJobId, sameJob } from './job-id.js';
import { type PbsDialect, type QstatFlavour, mapPbsState, stateFromExit } from './states.js';

const SCHEDULER = 'PBS';

function execHostNodes(execHost: string | undefined): string | undefined {
  if (!execHost || execHost === '--') return undefined;
  // exec_host is host/slot[*ncpus][+host/slot...]: keep the distinct hosts
  const hosts = [...new Set(execHost.split('+').map((h) => h.split('/')[0]).filter((h) => h !== ''))];
  return hosts.length ? hosts.join('+') : undefined;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\s*-?[0-9]+\s*$/.test(v)) return Number(v);
  return undefined;
}

/** One job's attributes, whatever the output format, turned into an ElementStatus. */
function statusOf(id: string, attrs: Record<string, unknown>, flavour: QstatFlavour): ElementStatus | null {
  const j = parsePbsJobId(id);
  const letter = String(attrs.job_state ?? '').trim();
  let state = mapPbsState(letter, flavour);
  const status: ElementStatus = {
    arrayJobId: j.array ? `${j.seq}[]${j.suffix}` : id.trim(),
    index: j.index,
    state,
    rawState: letter,
    scheduler: SCHEDULER,
  };
  if (j.array && j.index === null) {
    // the array itself: with -t its subjobs are listed one by one; what is left queued is a range
    const remaining = attrs.array_indices_remaining;
    if (typeof remaining !== 'string' || remaining.trim() === '' || remaining.trim() === '-') return null;
    return { ...status, state: 'pending', rawState: `${letter} (array_indices_remaining)`, range: remaining.trim() };
  }
  if (j.index === null && j.array === false) {
    const idx = toInt(attrs.array_index ?? attrs.job_array_id);
    if (idx !== undefined && flavour !== 'slurm-wrapper') status.index = idx;
  }
  const exit = toInt(attrs.Exit_status ?? attrs.exit_status);
  if (isFinal(state) && flavour !== 'slurm-wrapper') {
    const ended = stateFromExit(flavour, exit);
    state = ended.state;
    status.state = state;
    if (ended.exitCode !== undefined) status.exitCode = ended.exitCode;
    if (ended.signal !== undefined) status.signal = ended.signal;
    if (ended.reason !== undefined) status.reason = ended.reason;
  }
  const comment = typeof attrs.comment === 'string' ? attrs.comment.trim() : '';
  if (comment && status.reason === undefined && !isFinal(state)) status.reason = comment;
  const node = execHostNodes(typeof attrs.exec_host === 'string' ? attrs.exec_host : undefined);
  if (node) status.node = node;
  return status;
}

/**
 * Parses `qstat -f -F json -x -t` (PBS Pro / OpenPBS): `{"timestamp", "pbs_version", "pbs_server",
 * "Jobs": {"1234[7].srv": {"job_state": "X", "Exit_status": 0, "exec_host": ..., "array_index": 7}}}`.
 * Subjobs give one status each; an array's own entry gives a pending range from
 * array_indices_remaining (explicit subjob entries win, see pbsStatusByIndex).
 */
export function parseQstatJson(stdout: string): ElementStatus[] {
  if (stdout.trim() === '') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch (e) {
    // qstat has printed invalid JSON in several releases (values like 005 unquoted, unescaped quotes
    // or backslashes in Variable_List: OpenPBS issues #1255, #2541, PR #2049). Read the few
    // attributes we need from the text instead of failing the run.
    const jobs = scanBrokenQstatJson(stdout);
    if (jobs.length === 0) {
      throw new SchedulerError(`qstat -F json printed something that is not JSON: "${stdout.trim().slice(0, 300)}"`, { cause: e });
    }
    return jobs.flatMap(({ id, attrs }) => statusOf(id, attrs, 'pro') ?? []);
  }
  const jobs = (doc as { Jobs?: unknown }).Jobs;
  if (jobs === undefined) return []; // no job matched: PBS prints only the prolog
  if (typeof jobs !== 'object' || jobs === null) throw new SchedulerError('qstat -F json: "Jobs" is not an object');
  const out: ElementStatus[] = [];
  for (const [id, attrs] of Object.entries(jobs as Record<string, Record<string, unknown>>)) {
    const s = statusOf(id, attrs ?? {}, 'pro');
    if (s) out.push(s);
  }
  return out;
}

// Keys qstat -F json prints one per line: a job (`"1234[7].srv":{`) and the scalar attributes we read.
const JSON_JOB_KEY_RE = /^\s*"([0-9]+(?:\[[0-9]*\])?(?:\.[A-Za-z0-9_.-]+)?)"\s*:\s*\{\s*$/;
const JSON_ATTR_RE = /^\s*"(job_state|Exit_status|exec_host|array_index|array_indices_remaining|comment)"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9]+)\s*,?\s*$/;

/** The job entries of a qstat -F json text that JSON.parse refused, with the attributes statusOf reads. */
function scanBrokenQstatJson(text: string): Array<{ id: string; attrs: Record<string, unknown> }> {
  const jobs: Array<{ id: string; attrs: Record<string, unknown> }> = [];
  for (const line of text.split('\n')) {
    const key = JSON_JOB_KEY_RE.exec(line);
    if (key) {
      jobs.push({ id: key[1], attrs: {} });
      continue;
    }
    const attr = JSON_ATTR_RE.exec(line);
    const cur = jobs[jobs.length - 1];
    if (!attr || !cur || attr[1] in cur.attrs) continue;
    const v = attr[2];
    cur.attrs[attr[1]] = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : Number(v);
  }
  return jobs;
}

/**
 * Splits `qstat -f` text into jobs: `Job Id: <id>` then `<attr> = <value>` lines indented by spaces
 * (Torque, PBS Pro) or a tab (Slurm's wrapper); a value continues on following lines indented by a
 * tab that hold no ` = ` of their own (Torque wraps Variable_List and submit_args).
 */
export function parseQstatFullBlocks(stdout: string): Array<{ id: string; attrs: Record<string, string> }> {
  const jobs: Array<{ id: string; attrs: Record<string, string> }> = [];
  let cur: { id: string; attrs: Record<string, string> } | null = null;
  let last: string | null = null;
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const head = /^Job Id:\s*(\S+)\s*$/.exec(line);
    if (head) {
      cur = { id: head[1], attrs: {} };
      jobs.push(cur);
      last = null;
      continue;
    }
    if (!cur || line.trim() === '') continue;
    const kv = /^\s+([A-Za-z_][A-Za-z0-9_.]*) = ?(.*)$/.exec(line);
    if (kv) {
      cur.attrs[kv[1]] = kv[2];
      last = kv[1];
    } else if (last !== null && /^\s/.test(line)) {
      cur.attrs[last] += line.trim();
    }
  }
  return jobs;
}

/**
 * Parses `qstat -f -t` of Torque (and PBS Pro's text form): subjobs `1234[7].srv` give one status
 * each. Torque's exit_status / PBS Pro's Exit_status decide the final state of a C / F / X job.
 */
export function parseQstatFull(stdout: string, dialect: PbsDialect): ElementStatus[] {
  const out: ElementStatus[] = [];
  for (const job of parseQstatFullBlocks(stdout)) {
    const s = statusOf(job.id, job.attrs, dialect);
    if (s) out.push(s);
  }
  return out;
}

/**
 * Parses `qstat -f` of Slurm's Torque wrapper (slurm-wlm-torque). It lists every started array task
 * under its own Slurm job id and the pending remainder under the array's id, without task ids, exit
 * codes or the reason a job ended (state C for all of them): these statuses can NOT be mapped to
 * array elements. Kept to document that — the executor asks squeue/sacct instead on that backend.
 */
export function parseSlurmWrapperQstat(stdout: string): ElementStatus[] {
  const out: ElementStatus[] = [];
  for (const job of parseQstatFullBlocks(stdout)) {
    const s = statusOf(job.id, job.attrs, 'slurm-wrapper');
    if (s) out.push({ ...s, rawJobId: job.id });
  }
  return out;
}

/** Expands a PBS index range `0-9`, `2-1000`, `1,3,5-7`, `0-98:2` (a trailing `%N` is dropped). */
export function expandPbsRange(range: string): number[] {
  const out: number[] = [];
  for (const part of range.replace(/%[0-9]+$/, '').split(',')) {
    const m = /^\s*([0-9]+)(?:-([0-9]+)(?::([0-9]+))?)?\s*$/.exec(part);
    if (!m) throw new SchedulerError(`cannot parse PBS array range "${range}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (hi < lo || step < 1) throw new SchedulerError(`cannot parse PBS array range "${range}"`);
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}

/**
 * The status of each element of the job qsub printed as `jobId`: subjob entries first, then indexes a
 * pending range mentions. A plain job (a one-element chunk on PBS Pro, which refuses arrays of one)
 * is element 0. Entries of other jobs are ignored.
 */
export function pbsStatusByIndex(statuses: readonly ElementStatus[], jobId: string): Map<number, ElementStatus> {
  const byIndex = new Map<number, ElementStatus>();
  const ranges: ElementStatus[] = [];
  for (const s of statuses) {
    if (!sameJob(s.arrayJobId, jobId)) continue;
    if (s.index !== null) byIndex.set(s.index, s);
    else if (s.range !== undefined) ranges.push(s);
    else byIndex.set(0, { ...s, index: 0 });
  }
  for (const s of ranges) {
    for (const i of expandPbsRange(s.range as string)) if (!byIndex.has(i)) byIndex.set(i, { ...s, index: i });
  }
  return byIndex;
}
