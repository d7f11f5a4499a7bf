// Slurm status: the literal state table and the parsers of squeue/sacct lines, pending ranges, status per array index.
import { SchedulerError } from '../../errors.js';
import { isFinal, type ElementStatus, type SchedulerState } from '../types.js';
import { SACCT_FIELDS } from './argv.js';

const SCHEDULER = 'Slurm';

// Literal table of Slurm job states (long names as in squeue %T / sacct State, and the short
// codes of squeue %t). See squeue(1) "JOB STATE CODES".
const STATE_MAP: Readonly<Record<string, SchedulerState>> = {
  PENDING: 'pending', PD: 'pending',
  REQUEUED: 'pending', RQ: 'pending',
  REQUEUE_FED: 'pending', RF: 'pending',
  REQUEUE_HOLD: 'pending', RH: 'pending', // held after a requeue: runs only after `scontrol release`
  RESV_DEL_HOLD: 'pending', RD: 'pending',
  CONFIGURING: 'pending', CF: 'pending', // nodes allocated but still booting
  POWER_UP_NODE: 'pending', PU: 'pending',
  RUNNING: 'running', R: 'running',
  SUSPENDED: 'running', S: 'running', // holds its allocation; resumes by itself
  STOPPED: 'running', ST: 'running',
  RESIZING: 'running', RS: 'running',
  SIGNALING: 'running', SI: 'running',
  COMPLETING: 'completing', CG: 'completing',
  STAGE_OUT: 'completing', SO: 'completing',
  COMPLETED: 'completed', CD: 'completed',
  FAILED: 'failed', F: 'failed',
  SPECIAL_EXIT: 'failed', SE: 'failed',
  TIMEOUT: 'timeout', TO: 'timeout',
  OUT_OF_MEMORY: 'out_of_memory', OOM: 'out_of_memory',
  NODE_FAIL: 'node_fail', NF: 'node_fail',
  PREEMPTED: 'preempted', PR: 'preempted',
  CANCELLED: 'cancelled', CA: 'cancelled', // sacct: "CANCELLED by <uid>"
  REVOKED: 'cancelled', RV: 'cancelled', // federation: the sibling ran elsewhere
  BOOT_FAIL: 'boot_fail', BF: 'boot_fail',
  DEADLINE: 'deadline', DL: 'deadline',
};

/** Maps a Slurm state word (`CANCELLED by 0`, `TIMEOUT`, `PD`, `CANCELLED+`) to a SchedulerState. */
export function mapSlurmState(rawState: string): SchedulerState {
  const word = rawState.trim().split(/\s+/)[0]?.replace(/\+$/, '').toUpperCase() ?? '';
  return STATE_MAP[word] ?? 'unknown';
}

function parseJobIdField(
  command: string,
  field: string,
  line: string,
): { arrayJobId: string; index: number | null; range?: string } {
  let m = /^([0-9]+)_([0-9]+)$/.exec(field);
  if (m) return { arrayJobId: m[1], index: Number(m[2]) };
  m = /^([0-9]+)_\[([^\]]+)\]$/.exec(field);
  if (m) return { arrayJobId: m[1], index: null, range: m[2] };
  m = /^([0-9]+(?:\+[0-9]+)?)$/.exec(field); // plain job, or heterogeneous job component 12+0
  if (m) return { arrayJobId: m[1], index: null };
  throw new SchedulerError(`cannot parse ${command} line "${line}": "${field}" is not a job id`);
}

// "None", "None assigned" (sacct NodeList of a pending job), "(null)" and "" mean nothing.
function optional(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  return v === '' || v === 'None' || v === 'None assigned' || v === '(null)' || v === 'N/A' ? undefined : v;
}

function splitLine(command: string, line: string, counts: readonly number[]): string[] {
  const f = line.split('|');
  if (!counts.includes(f.length)) {
    throw new SchedulerError(
      `cannot parse ${command} line "${line}" (expected ${counts.join(' or ')} fields separated by |, got ${f.length})`,
    );
  }
  return f;
}

/**
 * Parses sacctArgv output into one status per line. Step lines (`123.batch`) are skipped.
 * Quirks of Slurm 22.05: a pending remainder is `6_[2-99%10]` with NodeList `None assigned`;
 * once a task of it has started, the database may keep listing the old range (`6_[4-99%4]`)
 * next to the started task's own line (`6_4`) — explicit lines win (see statusByIndex). The
 * task that starts last takes the array's id as its JobIDRaw. Cancelled reads `CANCELLED by <uid>`.
 */
export function parseSacctOutput(stdout: string): ElementStatus[] {
  return parseStatusLines('sacct', stdout, [SACCT_FIELDS.length], (fields, line) => {
    const [jobId, jobIdRaw, rawState, exit, reason, nodes, start, end] = fields;
    if (jobId.includes('.')) return null;
    const id = parseJobIdField('sacct', jobId, line);
    const state = mapSlurmState(rawState);
    const status: ElementStatus = { ...id, state, rawState, scheduler: SCHEDULER };
    // A pending task has no id of its own yet: its raw id is the array's record.
    if (id.range === undefined && state !== 'pending' && optional(jobIdRaw)) status.rawJobId = jobIdRaw;
    if (isFinal(state)) {
      const m = /^([0-9]+):([0-9]+)$/.exec(exit.trim());
      if (m) {
        status.exitCode = Number(m[1]);
        if (Number(m[2]) !== 0) status.signal = Number(m[2]);
      }
    }
    return { status, reason, nodes, start, end };
  });
}

/**
 * Parses squeueArgv output (SQUEUE_FORMAT; lines of the earlier formats without the times or
 * without %N too, and the 2 fields of SQUEUE_STATE_FORMAT, `--only-job-state`, which has no times).
 * squeue has no exit codes: final states come without exitCode/signal (use sacct for them).
 * Reasons of finished jobs are stale or misleading (`JobLaunchFailure` for a script killed by a
 * signal), so they are kept verbatim but should not be shown as the cause.
 */
export function parseSqueueOutput(stdout: string): ElementStatus[] {
  return parseStatusLines('squeue', stdout, [9, 7, 6, 2], (fields, line) => {
    const id = parseJobIdField('squeue', fields[0], line);
    // state-only (SQUEUE_STATE_FORMAT): everything comes from the displayed id
    if (fields.length === 2) return { status: { ...id, state: mapSlurmState(fields[1]), rawState: fields[1], scheduler: SCHEDULER } };
    const [, rawId, arrayId, task, rawState, reason, nodes, start, end] = fields;
    let index: number | null = null;
    let range: string | undefined;
    if (/^[0-9]+$/.test(task)) index = Number(task);
    else if (task !== 'N/A' && task !== '') range = task;
    const arrayJobId = /^[0-9]+$/.test(arrayId) ? arrayId : id.arrayJobId;
    const status: ElementStatus = { arrayJobId, index, state: mapSlurmState(rawState), rawState, scheduler: SCHEDULER };
    if (range !== undefined) status.range = range;
    else if (status.state !== 'pending' && /^[0-9]+$/.test(rawId)) status.rawJobId = rawId;
    return { status, reason, nodes, start, end };
  });
}

/**
 * A Slurm time as the status queries ask for it (SLURM_TIME_FORMAT=%s, argv.ts EPOCH_TIMES: seconds since the epoch)
 * as ISO-8601 UTC; undefined for `Unknown`, `None`, `NONE`, `N/A`, 0 and any other text — Slurm's default format
 * too, local time without a zone, which cannot be read right from another zone. squeue(1) %S, %e; sacct(1) Start, End.
 */
export function parseSlurmEpoch(text: string | undefined): string | undefined {
  const v = text?.trim() ?? '';
  if (!/^[0-9]{1,12}$/.test(v) || Number(v) === 0) return undefined;
  return new Date(Number(v) * 1000).toISOString();
}

/**
 * Sets the element's start (once it left the queue: a pending one's is Slurm's estimate) and end (once final: a
 * running one's is its expected end, start + time limit) from the fields `start` and `end`. A final range line (a
 * cancelled pending remainder) has an end, when it was cancelled, and no start (sacct `None`): it never started.
 */
function setTimes(status: ElementStatus, start: string | undefined, end: string | undefined): void {
  if (!isFinal(status.state) && status.state !== 'running' && status.state !== 'completing') return;
  const s = status.range === undefined ? parseSlurmEpoch(start) : undefined;
  if (s !== undefined) status.start = s;
  const e = isFinal(status.state) ? parseSlurmEpoch(end) : undefined;
  if (e !== undefined) status.end = e;
}

/**
 * One status per non-blank line of `stdout`: `build` reads the split fields (null skips the line), and the
 * reason, node list and times it hands back are kept when Slurm gave them.
 */
function parseStatusLines(
  tool: string,
  stdout: string,
  counts: number[],
  build: (fields: string[], line: string) => { status: ElementStatus; reason?: string; nodes?: string; start?: string; end?: string } | null,
): ElementStatus[] {
  const out: ElementStatus[] = [];
  for (const rawLine of stdout.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    const built = build(splitLine(tool, line, counts), line);
    if (built === null) continue;
    const { status } = built;
    const r = optional(built.reason);
    if (r) status.reason = r;
    const n = optional(built.nodes);
    if (n) status.node = n;
    setTimes(status, built.start, built.end);
    out.push(status);
  }
  return out;
}

/**
 * Expands a Slurm index range as printed for pending remainders — `2-99%10`, `1,3,5-7`,
 * `0-98:2` — into the indexes (the `%N` throttle is dropped).
 */
export function expandArrayRange(range: string): number[] {
  const spec = range.replace(/^\[|\]$/g, '').replace(/%[0-9]+$/, '');
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+)(?::([0-9]+))?)?$/.exec(part.trim());
    if (!m) throw new SchedulerError(`cannot parse Slurm array range "${range}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (hi < lo || step < 1) throw new SchedulerError(`cannot parse Slurm array range "${range}"`);
    for (let i = lo; i <= hi; i += step) out.push(i);
  }
  return out;
}

/**
 * The status of each index of one array: explicit task lines first, then indexes that only a
 * pending-remainder range mentions (filled with a copy carrying that index). Lines of other jobs
 * are ignored.
 */
export function statusByIndex(statuses: readonly ElementStatus[], arrayJobId: string): Map<number, ElementStatus> {
  const byIndex = new Map<number, ElementStatus>();
  const ranges: ElementStatus[] = [];
  for (const s of statuses) {
    if (s.arrayJobId !== arrayJobId) continue;
    if (s.index !== null) byIndex.set(s.index, s);
    else if (s.range !== undefined) ranges.push(s);
  }
  for (const s of ranges) {
    for (const i of expandArrayRange(s.range as string)) {
      if (!byIndex.has(i)) byIndex.set(i, { ...s, index: i });
    }
  }
  return byIndex;
}

// slurmstepd's words when it kills a step for memory: the jobacct_gather poller without cgroups
// ("StepId=N.batch exceeded memory limit (X > Y), being killed", "Exceeded job memory limit")
