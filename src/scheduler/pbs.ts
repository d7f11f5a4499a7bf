// PBS adapter, psij-style and pure: argv for qsub/qstat/qselect/qdel/qmgr and parsers of what PBS Pro (OpenPBS), Torque and Slurm's Torque wrappers print; a transport runs the argv.
import { SchedulerError } from '../errors.js';
import { type ElementStatus, type SchedulerState, isFinal } from './types.js';

/** The two PBS families: PBS Professional / OpenPBS (`-J`, `qstat -F json`) and Torque (`-t`, text only). */
export type PbsDialect = 'pro' | 'torque';

const SCHEDULER = 'PBS';

// ------------------------------------------------------------------ job ids

/**
 * A job id as qsub prints it: `1234.server` (job), `1234[].server` (array), `1234[7].server`
 * (subjob), optionally `@server`; Slurm's wrapper prints the bare Slurm id `1234`.
 */
const JOB_ID_RE = /^([0-9]+)(?:\[([0-9]*)\])?((?:\.[A-Za-z0-9_-]+)*)(@[A-Za-z0-9_.-]+)?$/;

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

function checkJobIds(command: string, jobIds: readonly string[]): string[] {
  if (jobIds.length === 0) {
    throw new SchedulerError(`${command}: no job ids given (refusing to query or delete every job of the user)`);
  }
  for (const id of jobIds) parsePbsJobId(id);
  return [...new Set(jobIds.map((id) => id.trim()))];
}

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

/** True when `a` and `b` name the same job or array (server suffixes may be short or fully qualified). */
export function sameJob(a: string, b: string): boolean {
  const x = JOB_ID_RE.exec(a.trim());
  const y = JOB_ID_RE.exec(b.trim());
  if (!x || !y || x[1] !== y[1] || (x[2] === undefined) !== (y[2] === undefined)) return false;
  const [sx, sy] = [(x[3] ?? '').split('.')[1] ?? '', (y[3] ?? '').split('.')[1] ?? ''];
  return sx === '' || sy === '' || sx === sy;
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

/** argv to delete whole arrays (`1234[].srv`), subjobs or jobs. */
export function qdelArgv(jobIds: readonly string[]): string[] {
  return ['qdel', ...checkJobIds('qdel', jobIds)];
}

// ------------------------------------------------------------------ server limits

/** argv for the server's (and queues') configuration; unprivileged users may read it on PBS Pro and Torque. */
export function qmgrPrintServerArgv(): string[] {
  return ['qmgr', '-c', 'print server'];
}

/** What arrayflow needs from `qmgr -c 'print server'`. */
export interface PbsServerLimits {
  /** Most subjobs in one array (PBS Pro max_array_size, Torque max_job_array_size). */
  maxArraySize?: number;
  /** Most jobs the user may have queued (PBS Pro max_queued [u:...], Torque max_user_queuable); each subjob counts. */
  maxQueued?: number;
  /** Torque max_slot_limit: the largest %throttle allowed. */
  maxSlotLimit?: number;
  defaultQueue?: string;
}

function intValue(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*([0-9]+)\s*$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

/** The smallest per-user limit in a PBS Pro limit spec `[u:PBS_GENERIC=200],[o:PBS_ALL=1000],[u:alice=50]`. */
function limitSpec(v: string, user: string | undefined): number | undefined {
  let min: number | undefined;
  for (const m of v.matchAll(/\[\s*([ugpo]):([^=\]]+)=\s*([0-9]+)\s*\]/g)) {
    const [, kind, who, n] = m;
    const applies = kind === 'o' || (kind === 'u' && (who === 'PBS_GENERIC' || who === user));
    if (applies && (min === undefined || Number(n) < min)) min = Number(n);
  }
  return min;
}

/**
 * Parses `qmgr -c 'print server'` (lines `set server <attr> = <value>` and `set queue <q> <attr> =
 * <value>`). Queue limits count for `queue` (the job's queue; default: the server's default_queue);
 * the smaller of server and queue limit wins.
 */
export function parseQmgrServer(stdout: string, options: { queue?: string; user?: string } = {}): PbsServerLimits {
  const server = new Map<string, string>();
  const queues = new Map<string, Map<string, string>>();
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    let m = /^set server ([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\+?=)\s*(.*)$/.exec(line);
    if (m) {
      if (!server.has(m[1])) server.set(m[1], m[2].trim());
      continue;
    }
    m = /^set queue (\S+) ([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\+?=)\s*(.*)$/.exec(line);
    if (m) {
      const q = queues.get(m[1]) ?? new Map<string, string>();
      if (!q.has(m[2])) q.set(m[2], m[3].trim());
      queues.set(m[1], q);
    }
  }
  if (server.size === 0 && queues.size === 0) {
    throw new SchedulerError(`qmgr -c 'print server' printed no configuration: "${stdout.trim().slice(0, 500)}"`);
  }
  const out: PbsServerLimits = {};
  const defaultQueue = server.get('default_queue');
  if (defaultQueue) out.defaultQueue = defaultQueue;
  const queue = queues.get(options.queue ?? defaultQueue ?? '') ?? new Map<string, string>();
  const min = (...vs: Array<number | undefined>) => {
    const xs = vs.filter((v): v is number => v !== undefined && v > 0);
    return xs.length ? Math.min(...xs) : undefined;
  };
  const pick = (attr: string, parse: (v: string) => number | undefined) => {
    const s = server.get(attr);
    const q = queue.get(attr);
    return min(s === undefined ? undefined : parse(s), q === undefined ? undefined : parse(q));
  };
  const array = min(pick('max_array_size', intValue), pick('max_job_array_size', intValue));
  const queued = min(
    pick('max_queued', (v) => limitSpec(v, options.user)),
    pick('max_user_queuable', intValue),
  );
  const slot = pick('max_slot_limit', intValue);
  if (array !== undefined) out.maxArraySize = array;
  if (queued !== undefined) out.maxQueued = queued;
  if (slot !== undefined) out.maxSlotLimit = slot;
  return out;
}

// ------------------------------------------------------------------ states

// PBS Pro / OpenPBS job states, qstat(1B) "The job's state". F (finished) and X (subjob finished or
// deleted) are final; which final state depends on Exit_status (see stateFromExit).
const PRO_STATES: Readonly<Record<string, SchedulerState>> = {
  Q: 'pending', // queued
  H: 'pending', // held: runs only after qrls
  W: 'pending', // waiting for its start time (or a stage-in failure)
  T: 'pending', // being moved to a new location
  M: 'unknown', // moved to another server: ask that server
  R: 'running',
  B: 'running', // array with at least one subjob running
  S: 'running', // suspended: keeps its allocation and resumes by itself
  U: 'running', // cycle-harvesting job suspended by keyboard activity
  E: 'completing', // exiting after having run
  F: 'completed',
  X: 'completed',
};

// Torque job states, qstat(1) (Torque): C = completed (kept keep_completed seconds), E = exiting.
const TORQUE_STATES: Readonly<Record<string, SchedulerState>> = {
  Q: 'pending',
  H: 'pending',
  W: 'pending',
  T: 'pending',
  R: 'running',
  S: 'running',
  E: 'completing',
  C: 'completed',
};

// Slurm's qstat wrapper (stateCode in /usr/bin/qstat): C for every ended job, whatever the reason.
const SLURM_WRAPPER_STATES: Readonly<Record<string, SchedulerState>> = {
  Q: 'pending',
  R: 'running',
  S: 'running',
  C: 'completed',
  U: 'unknown',
};

/** Which program printed a qstat answer. */
export type QstatFlavour = PbsDialect | 'slurm-wrapper';

/** Maps a one-letter PBS job state to a SchedulerState (final letters before looking at the exit status). */
export function mapPbsState(letter: string, flavour: QstatFlavour): SchedulerState {
  const table = flavour === 'pro' ? PRO_STATES : flavour === 'torque' ? TORQUE_STATES : SLURM_WRAPPER_STATES;
  return table[letter.trim().toUpperCase()] ?? 'unknown';
}

// Negative exit statuses are set by the MoM, not the job. PBS Pro: src/include/job.h (JOB_EXEC_*);
// Torque: "Job Exit Status" in the Torque admin guide. Only the ones that name a cause are mapped.
const PRO_EXEC_CODES: Readonly<Record<number, [SchedulerState, string]>> = {
  [-1]: ['failed', 'JOB_EXEC_FAIL1: the job could not start (before files), no retry'],
  [-2]: ['failed', 'JOB_EXEC_FAIL2: the job could not start (after files), no retry'],
  [-3]: ['failed', 'JOB_EXEC_RETRY: the job could not start, retry'],
  [-4]: ['node_fail', 'JOB_EXEC_INITABT: the job was aborted when its MoM initialised'],
  [-10]: ['failed', 'JOB_EXEC_FAILUID: invalid uid/gid for the job'],
  [-14]: ['node_fail', 'JOB_EXEC_RERUN_SIS_FAIL: a sister MoM failed'],
  [-20]: ['node_fail', 'JOB_EXEC_RERUN_MS_FAIL: the mother superior connection failed'],
  [-24]: ['failed', 'JOB_EXEC_KILL_NCPUS_BURST: used more CPUs than requested'],
  [-25]: ['failed', 'JOB_EXEC_KILL_NCPUS_SUM: used more CPUs than requested'],
  [-26]: ['out_of_memory', 'JOB_EXEC_KILL_VMEM: exceeded its vmem limit'],
  [-27]: ['out_of_memory', 'JOB_EXEC_KILL_MEM: exceeded its mem limit'],
  [-28]: ['timeout', 'JOB_EXEC_KILL_CPUT: exceeded its cput limit'],
  [-29]: ['timeout', 'JOB_EXEC_KILL_WALLTIME: exceeded its walltime'],
};

const TORQUE_EXEC_CODES: Readonly<Record<number, [SchedulerState, string]>> = {
  [-1]: ['failed', 'JOB_EXEC_FAIL1: the job could not start (before files), no retry'],
  [-2]: ['failed', 'JOB_EXEC_FAIL2: the job could not start (after files), no retry'],
  [-3]: ['failed', 'JOB_EXEC_RETRY: the job could not start, retry'],
  [-4]: ['node_fail', 'JOB_EXEC_INITABT: the job was aborted when its MoM initialised'],
  [-8]: ['failed', 'JOB_EXEC_CMDFAIL: exec() of the job script failed'],
  [-9]: ['failed', 'JOB_EXEC_STDOUTFAIL: could not create/open the stdout/stderr files'],
  [-10]: ['out_of_memory', 'JOB_EXEC_OVERLIMIT_MEM: exceeded a memory limit'],
  [-11]: ['timeout', 'JOB_EXEC_OVERLIMIT_WT: exceeded its walltime'],
  [-12]: ['timeout', 'JOB_EXEC_OVERLIMIT_CPUT: exceeded its CPU time limit'],
  [-13]: ['failed', 'JOB_EXEC_RETRY_CGROUP: could not create the job\'s cgroups'],
  [-14]: ['failed', 'JOB_EXEC_RETRY_PROLOGUE: the prologue failed'],
};

/**
 * The final state an ended job's exit status stands for. 0: completed. 1..256: the script's exit
 * code (128+N when the shell saw a child die of signal N). Above 256: PBS killed the top process with
 * signal (status − 256) — 271 = SIGTERM, 265 = SIGKILL, which is how a walltime or qdel kill looks
 * on PBS Pro before JOB_EXEC_KILL_WALLTIME existed (check the job's stderr, see applyPbsKill).
 * Negative: set by the MoM (JOB_EXEC_* codes), e.g. -29 walltime (PBS Pro ≥ 2020), -11 walltime (Torque).
 * No exit status at all: the job never ran (deleted while queued).
 */
export function stateFromExit(
  dialect: PbsDialect,
  exitStatus: number | undefined,
): Pick<ElementStatus, 'state' | 'exitCode' | 'signal' | 'reason'> {
  if (exitStatus === undefined) return { state: 'cancelled', reason: 'ended without an exit status (deleted before it ran)' };
  if (exitStatus === 0) return { state: 'completed', exitCode: 0 };
  if (exitStatus < 0) {
    const known = (dialect === 'pro' ? PRO_EXEC_CODES : TORQUE_EXEC_CODES)[exitStatus];
    if (known) return { state: known[0], reason: `${known[1]} (exit status ${exitStatus})` };
    return { state: 'failed', reason: `PBS exit status ${exitStatus}: the MoM could not run or finish the job` };
  }
  if (exitStatus > 256) return { state: 'failed', signal: exitStatus - 256 };
  return { state: 'failed', exitCode: exitStatus };
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

// ------------------------------------------------------------------ status parsers

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

// ------------------------------------------------------------------ kills seen in stderr

// The MoM's words on the job's stderr when it kills a job over a limit (PBS Pro and Torque share
// them: "=>> PBS: job killed: walltime 152 exceeded limit 120", "... mem 2098176kb exceeded limit 1048576kb").
const WALLTIME_KILL_RE = /^=>> PBS: job killed: (?:walltime|cput) \S+ exceeded limit/im;
const MEMORY_KILL_RE = /^=>> PBS: job killed: (?:p?v?mem) \S+ exceeded limit/im;

/** A failed/cancelled status turned into timeout or out_of_memory when the job's stderr shows that PBS killed it for that. */
export function applyPbsKill(status: ElementStatus, stderrText: string): ElementStatus {
  if (status.state !== 'failed' && status.state !== 'cancelled') return status;
  if (WALLTIME_KILL_RE.test(stderrText)) return { ...status, state: 'timeout' };
  if (MEMORY_KILL_RE.test(stderrText)) return { ...status, state: 'out_of_memory' };
  return status;
}

// ------------------------------------------------------------------ resources

/**
 * Slurm-style time (`10` minutes, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`; sbatch(1)
 * --time) as PBS walltime `HH:MM:SS` (hours may exceed 24).
 */
export function pbsWalltime(time: string): string {
  const t = time.trim();
  let d = 0;
  let h = 0;
  let m = 0;
  let s = 0;
  let match: RegExpExecArray | null;
  if ((match = /^([0-9]+)-([0-9]+)(?::([0-9]+)(?::([0-9]+))?)?$/.exec(t))) {
    d = Number(match[1]);
    h = Number(match[2]);
    m = Number(match[3] ?? 0);
    s = Number(match[4] ?? 0);
  } else if ((match = /^([0-9]+)(?::([0-9]+)(?::([0-9]+))?)?$/.exec(t))) {
    if (match[3] !== undefined) [h, m, s] = [Number(match[1]), Number(match[2]), Number(match[3])];
    else if (match[2] !== undefined) [m, s] = [Number(match[1]), Number(match[2])];
    else m = Number(match[1]);
  } else {
    throw new SchedulerError(
      `executor.resources.time "${time}" is not a time limit (use minutes, MM:SS, HH:MM:SS or D-HH:MM:SS)`,
    );
  }
  const total = ((d * 24 + h) * 60 + m) * 60 + s;
  if (total <= 0) throw new SchedulerError(`executor.resources.time "${time}" must be longer than zero`);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

const MEM_UNITS: Readonly<Record<string, number>> = { '': 1024, k: 1, m: 1024, g: 1024 ** 2, t: 1024 ** 3 };

/**
 * Slurm-style memory (`500` = MB, `500M`, `2G`, `1.5G`, `512K`, `1T`, also `2GB`/`2gb`) as a PBS
 * size: integer with kb/mb/gb/tb (pbs_resources(7B) "size"); fractions become the next smaller unit.
 */
export function pbsMem(mem: string): string {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtKMGT]?)[bB]?\s*$/.exec(mem);
  if (!m) throw new SchedulerError(`executor.resources.mem "${mem}" is not a memory size (use e.g. 500M, 2G)`);
  const unit = m[2].toLowerCase();
  const kb = Number(m[1]) * MEM_UNITS[unit];
  if (!(kb > 0)) throw new SchedulerError(`executor.resources.mem "${mem}" must be more than zero`);
  for (const [u, f] of [['tb', 1024 ** 3], ['gb', 1024 ** 2], ['mb', 1024]] as const) {
    if (kb % f === 0) return `${kb / f}${u}`;
  }
  return `${Math.ceil(kb)}kb`;
}
