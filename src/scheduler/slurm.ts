// Slurm adapter, psij-style and pure: builds argv for sbatch/squeue/sacct/scontrol/sacctmgr/scancel and parses what they print; a transport runs the argv.
import { SchedulerError } from '../errors.js';
import { isFinal, type ElementStatus, type SchedulerState } from './types.js';

const SCHEDULER = 'Slurm';

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
  const cmd = argv[0] ?? 'slurm command';
  const transient = isTransient(text);
  return new SchedulerError(
    `${cmd} failed (exit ${exitCode}): "${text}"${transient ? ' — the Slurm controller or database is busy or unreachable, retry later' : hintFor(text)}`,
    { cause: options.cause, transient },
  );
}

// ------------------------------------------------------------------ cluster config and limits

/** What arrayflow needs from `scontrol show config`. */
export interface SlurmConfig {
  /** Array indexes must be < maxArraySize (it caps the largest INDEX, not the count). */
  maxArraySize?: number;
  /** Most jobs (each array task counts) the controller holds at once. */
  maxJobCount?: number;
  /** Seconds a finished job stays visible to squeue/scontrol. */
  minJobAge?: number;
  /** true when sacct works (AccountingStorageType is not accounting_storage/none). */
  accounting: boolean;
  /** true when association/QOS limits are enforced (AccountingStorageEnforce has limits, qos or safe). */
  limitsEnforced: boolean;
  clusterName?: string;
  /** e.g. `22.05.8`. */
  version?: string;
}

/** argv for the controller's configuration. */
export function scontrolConfigArgv(): string[] {
  return ['scontrol', 'show', 'config'];
}

function leadingInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*([0-9]+)/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Parses `scontrol show config` ("Key = value" lines; MinJobAge reads "300 sec"). */
export function parseScontrolConfig(stdout: string): SlurmConfig {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*=\s?(.*)$/.exec(line.trimEnd());
    if (m && !kv.has(m[1])) kv.set(m[1], m[2].trim());
  }
  if (!kv.has('ClusterName') && !kv.has('MaxArraySize') && !kv.has('AccountingStorageType')) {
    throw new SchedulerError(
      `scontrol show config printed no configuration: "${stdout.trim().slice(0, 500)}"`,
    );
  }
  const storage = kv.get('AccountingStorageType') ?? '';
  const enforce = (kv.get('AccountingStorageEnforce') ?? '').toLowerCase();
  const config: SlurmConfig = {
    accounting: storage !== '' && storage !== '(null)' && !/accounting_storage\/none/.test(storage),
    limitsEnforced: /\b(limits|qos|safe)\b/.test(enforce),
  };
  const maxArraySize = leadingInt(kv.get('MaxArraySize'));
  const maxJobCount = leadingInt(kv.get('MaxJobCount'));
  const minJobAge = leadingInt(kv.get('MinJobAge'));
  if (maxArraySize !== undefined) config.maxArraySize = maxArraySize;
  if (maxJobCount !== undefined) config.maxJobCount = maxJobCount;
  if (minJobAge !== undefined) config.minJobAge = minJobAge;
  const cluster = kv.get('ClusterName');
  if (cluster && cluster !== '(null)') config.clusterName = cluster;
  const version = kv.get('SLURM_VERSION');
  if (version) config.version = version;
  return config;
}

const USER_RE = /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*$/;

/** argv for the user's submit limits from the accounting database (one line per association). */
export function sacctmgrLimitsArgv(user: string): string[] {
  if (!USER_RE.test(user)) throw new SchedulerError(`sacctmgr: "${user}" is not a valid user name`);
  return [
    'sacctmgr', '-n', '-P', 'show', 'assoc', `user=${user}`,
    'format=Cluster,Account,Partition,MaxSubmitJobs,GrpSubmitJobs',
  ];
}

/**
 * Parses sacctmgrLimitsArgv output (`cluster|account|partition|MaxSubmitJobs|GrpSubmitJobs`, empty
 * field = no limit) into the smallest submit limit over the user's associations, optionally only
 * those of one cluster. Limits set on parent accounts or QOS are not included; they only bind when
 * `limitsEnforced` (see parseScontrolConfig).
 */
export function parseSacctmgrLimits(stdout: string, options: { cluster?: string } = {}): { maxSubmitJobs?: number } {
  let min: number | undefined;
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.trim().split('|');
    if (f.length !== 5) {
      throw new SchedulerError(`cannot parse sacctmgr line "${line.trim()}" (expected 5 fields separated by |)`);
    }
    if (options.cluster !== undefined && f[0] !== options.cluster) continue;
    for (const v of [f[3], f[4]]) {
      const n = leadingInt(v);
      if (n !== undefined && (min === undefined || n < min)) min = n;
    }
  }
  return min === undefined ? {} : { maxSubmitJobs: min };
}

// ------------------------------------------------------------------ status

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

/** The fields sacctArgv asks for, in order. */
export const SACCT_FIELDS = ['JobID', 'JobIDRaw', 'State', 'ExitCode', 'Reason', 'NodeList'] as const;

/**
 * argv for ONE sacct call covering all given jobs (array ids give all their tasks). `-X` keeps
 * only the allocation line of each element (no .batch/.extern steps), `-P` separates by `|`.
 * No --starttime is needed: with -j, sacct's window starts at the epoch (sacct(1), -S).
 */
export function sacctArgv(jobIds: readonly string[]): string[] {
  const ids = checkJobIds('sacct', jobIds);
  return ['sacct', '-X', '-n', '-P', '-j', ids.join(','), '-o', SACCT_FIELDS.join(',')];
}

/** The format squeueArgv asks for: job id, raw id, array job id, task id or range, state, reason, nodes. */
export const SQUEUE_FORMAT = '%i|%A|%F|%K|%T|%r|%N';

/**
 * argv for ONE squeue call covering all given jobs, including finished ones still within
 * MinJobAge (`-t all`). A pending remainder prints as one line (`6_[2-99%10]`) unless
 * `expandPending` adds `-r`, which prints one line per pending index — 10^5 lines for a large
 * chunk, so it stays off by default (scheduler citizenship).
 */
export function squeueArgv(jobIds: readonly string[], options: { expandPending?: boolean } = {}): string[] {
  const ids = checkJobIds('squeue', jobIds);
  return [
    'squeue', '-h', ...(options.expandPending ? ['-r'] : []),
    '-t', 'all', '-j', ids.join(','), '-o', SQUEUE_FORMAT,
  ];
}

/** argv to cancel whole arrays (`123`), single tasks (`123_4`) or plain jobs. */
export function scancelArgv(jobIds: readonly string[]): string[] {
  return ['scancel', ...checkJobIds('scancel', jobIds)];
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
  const out: ElementStatus[] = [];
  for (const rawLine of stdout.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    const [jobId, jobIdRaw, rawState, exit, reason, nodes] = splitLine('sacct', line, [SACCT_FIELDS.length]);
    if (jobId.includes('.')) continue;
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
    const r = optional(reason);
    if (r) status.reason = r;
    const n = optional(nodes);
    if (n) status.node = n;
    out.push(status);
  }
  return out;
}

/**
 * Parses squeueArgv output (SQUEUE_FORMAT; lines of the 6-field format without %N are accepted
 * too). squeue has no exit codes: final states come without exitCode/signal (use sacct for them).
 * Reasons of finished jobs are stale or misleading (`JobLaunchFailure` for a script killed by a
 * signal), so they are kept verbatim but should not be shown as the cause.
 */
export function parseSqueueOutput(stdout: string): ElementStatus[] {
  const out: ElementStatus[] = [];
  for (const rawLine of stdout.split('\n')) {
    const line = rawLine.trim();
    if (line === '') continue;
    const [display, rawId, arrayId, task, rawState, reason, nodes] = splitLine('squeue', line, [7, 6]);
    const id = parseJobIdField('squeue', display, line);
    let index: number | null = null;
    let range: string | undefined;
    if (/^[0-9]+$/.test(task)) index = Number(task);
    else if (task !== 'N/A' && task !== '') range = task;
    const arrayJobId = /^[0-9]+$/.test(arrayId) ? arrayId : id.arrayJobId;
    const status: ElementStatus = { arrayJobId, index, state: mapSlurmState(rawState), rawState, scheduler: SCHEDULER };
    if (range !== undefined) status.range = range;
    else if (status.state !== 'pending' && /^[0-9]+$/.test(rawId)) status.rawJobId = rawId;
    const r = optional(reason);
    if (r) status.reason = r;
    const n = optional(nodes);
    if (n) status.node = n;
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
// and the cgroup OOM killer ("Detected 1 oom-kill event(s) in StepId=..."). Only slurmstepd
// lines count, so a simulation that prints these words does not trigger it.
const MEMORY_KILL_RE =
  /^slurmstepd[^:\n]*: error: .*(?:exceeded memory limit|Exceeded (?:job|step) memory limit|oom-kill event)/im;

/**
 * True when a job's stderr shows that Slurm killed it for using more memory than requested.
 * Without cgroups such a job ends FAILED with ExitCode 0:9 — the state alone cannot tell it
 * from any other SIGKILL, so combine it with this (see applyMemoryKill).
 */
export function detectMemoryKill(stderrText: string): boolean {
  return MEMORY_KILL_RE.test(stderrText);
}

/** The status with state `out_of_memory` when it failed or was cancelled and its stderr shows a memory kill. */
export function applyMemoryKill(status: ElementStatus, stderrText: string): ElementStatus {
  if ((status.state === 'failed' || status.state === 'cancelled') && detectMemoryKill(stderrText)) {
    return { ...status, state: 'out_of_memory' };
  }
  return status;
}
