// The node-side task wrapper: scratch dir, inputs, run the argv, read the result, copy back, record last, clean.
// Per task it costs a few synchronous calls on node-local scratch (scratch.ts) besides spawning the simulation;
// chokidar is loaded only for a marker, picomatch only for a keep list, csv-parse only for a CSV result.
import { StorageError, UpstreamError } from '../errors.js';
import { closeSync, fstatSync, openSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { cp, mkdir, readdir, stat } from 'node:fs/promises';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, dirname, join, normalize, relative, sep } from 'node:path';
import { renderTemplate as renderPlaceholders } from '../config/placeholders.js';
import { DEFAULT_LOGS, DEFAULT_RESULT_MAX_SIZE, type ResultSpec } from '../config/types.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile, RuntimeSpec } from '../plan/plan.js';
import type { TaskRecord } from '../records/record.js';
import { storageRecord } from '../records/storage.js';
import type { TaskRow } from '../plan/tasks.js';
import type { UpstreamInputs } from './upstream.js';
import { type Exit, type Started, type StopCause, WrapperState, exitReason, interruptReason, startCommand, stopReason } from './child.js';
import { taskLimits } from './limits.js';
import { STREAM_FILES, keepTaskLogs, stderrTail } from './logs.js';
import { parseJsonResult } from './result-json.js';
import { HOST, OWNER_FILE, copyOverSync, makeScratch, overwriteSync, removeScratch } from './scratch.js';

export { WrapperState } from './child.js';
export { sweepStaleScratch } from './scratch.js';

/** The task's parameters as JSON in its scratch dir ($ARRAYFLOW_PARAMS). */
const PARAMS_FILE = 'params.json';

/** Where `auto` (executor.scratch's default) looks, first set wins: the job's node-local dirs, else /tmp. */
export const AUTO_SCRATCH_VARS = ['SLURM_TMPDIR', 'LOCAL_SCRATCH', 'TMPDIR'] as const;

/**
 * The scratch root of spec `executor.scratch`: `auto` is the first set of $SLURM_TMPDIR, $LOCAL_SCRATCH, $TMPDIR,
 * else /tmp; otherwise `$VAR` / `${VAR}` are expanded (`$TMPDIR` falls back to the OS temp dir when unset).
 */
export function resolveScratchRoot(spec: string, env: NodeJS.ProcessEnv = process.env): string {
  if (spec === 'auto') return AUTO_SCRATCH_VARS.map((v) => env[v]).find((d) => d !== undefined && d !== '') ?? '/tmp';
  const expanded = spec.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b) as string;
    return env[name] ?? (name === 'TMPDIR' ? tmpdir() : '');
  });
  return expanded === '' ? tmpdir() : expanded;
}

/** Values of the `{name}` placeholders of one task. */
export function placeholderValues(row: TaskRow, attempt: number, scratch: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(row.params)) values[k] = String(v);
  values.task_id = String(row.id);
  values.task_seed = String(row.seed);
  values.attempt = String(attempt);
  values.scratch = scratch;
  return values;
}

/** The variables a task adds to the inherited environment: its identity, parameters, and the config's `env`. */
export function taskVars(row: TaskRow, attempt: number, scratch: string, runtime: RuntimeSpec, values: Record<string, string>): Record<string, string> {
  const vars: Record<string, string> = {};
  // an upstream column `coarse.peak` is ARRAYFLOW_PARAM_coarse__peak: a name every shell can read
  for (const [k, v] of Object.entries(row.params)) vars[`ARRAYFLOW_PARAM_${k.replaceAll('.', '__')}`] = String(v);
  vars.ARRAYFLOW_TASK_ID = String(row.id);
  vars.ARRAYFLOW_TASK_SEED = String(row.seed);
  vars.ARRAYFLOW_ATTEMPT = String(attempt);
  vars.ARRAYFLOW_SCRATCH = scratch;
  vars.ARRAYFLOW_PARAMS = join(scratch, PARAMS_FILE);
  for (const [k, v] of Object.entries(runtime.env)) vars[k] = renderPlaceholders(v, values);
  return vars;
}

let inherited: NodeJS.ProcessEnv | null = null;

/** The environment of the simulation: inherited, plus {@link taskVars}. */
export function taskEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  // a copy of the inherited environment made once: reading process.env goes through libc on every access
  inherited ??= { ...process.env };
  return { ...inherited, ...vars };
}

/**
 * What the wrapper writes into every task's scratch dir before its simulation starts, found once per process: the
 * inputs to copy that are plain files, and the names of those files, params.json and the stream files, which
 * removeScratch keeps for the next task to overwrite (./scratch.ts says why).
 */
interface OwnFiles {
  copy: string[];
  plainInputs: Set<string>;
  names: Set<string>;
}

let ownFiles: OwnFiles | null = null;

function ownFilesOf(inputs: RuntimeSpec['inputs']): OwnFiles {
  if (ownFiles?.copy !== inputs.copy) {
    const plainInputs = new Set(inputs.copy.filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile()));
    const names = new Set([PARAMS_FILE, STREAM_FILES.stdout, STREAM_FILES.stderr, ...[...plainInputs].map((f) => basename(f))]);
    ownFiles = { copy: inputs.copy, plainInputs, names };
  }
  return ownFiles;
}

async function stageInputs(scratch: string, inputs: RuntimeSpec['inputs']): Promise<void> {
  if (inputs.dir) await cp(inputs.dir, scratch, { recursive: true });
  const { plainInputs } = ownFilesOf(inputs);
  for (const f of inputs.copy) {
    // a file: one synchronous copy over the last task's (fs/promises' cp costs five thread-pool round trips)
    if (plainInputs.has(f)) copyOverSync(f, join(scratch, basename(f)));
    else await cp(f, join(scratch, basename(f)), { recursive: true });
  }
  for (const f of inputs.link) symlinkSync(f, join(scratch, basename(f)));
}

/** The keep list compiled once per process (picomatch loaded only here). */
let keepPatterns: { keep: string[]; res: RegExp[] } | null = null;

async function keepRegExps(keep: string[]): Promise<RegExp[]> {
  if (keepPatterns?.keep !== keep) {
    const { globToRegExp } = await import('../util/glob.js');
    keepPatterns = { keep, res: keep.map(globToRegExp) };
  }
  return keepPatterns.res;
}

/** Copies the files the keep policy asks for from scratch to outputs/<task>/ (before the record is written). */
async function copyBack(scratch: string, dest: string, keep: RuntimeSpec['keep'], result: ResultSpec): Promise<void> {
  if (keep === 'none') return;
  const patterns = keep === 'all' ? null : await keepRegExps(keep);
  const entries = await readdir(scratch, { recursive: true, withFileTypes: true });
  const made = new Set<string>();
  for (const e of entries) {
    if (!e.isFile() || e.name === OWNER_FILE) continue;
    const rel = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(scratch.length + 1);
    if (patterns && !patterns.some((p) => p.test(rel)) && rel !== result.file) continue;
    const target = join(dest, rel);
    const dir = dirname(target);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await cp(join(scratch, rel), target);
  }
}

/** Copies one file of scratch to outputs/<task>/ (a result too large to read, whatever the keep policy). */
async function keepFile(scratch: string, dest: string, rel: string): Promise<void> {
  await mkdir(dirname(join(dest, rel)), { recursive: true });
  await cp(join(scratch, rel), join(dest, rel));
}

/** Watches the scratch dir for the marker file (chokidar; polling where the scratch filesystem needs it). */
interface MarkerWatch {
  seen: Promise<void>;
  close(): Promise<void>;
}

async function watchMarker(scratch: string, marker: string): Promise<MarkerWatch> {
  // loaded only for tasks with a marker: most wrappers start without chokidar
  const [{ watch }, { planWatch }] = await Promise.all([import('chokidar'), import('../watch/fstype.js')]);
  const plan = await planWatch(scratch);
  const rel = normalize(marker);
  let seenResolve: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => (seenResolve = resolve));
  const w = watch(scratch, {
    ignoreInitial: true,
    usePolling: plan.mode === 'poll',
    interval: plan.pollMs,
    binaryInterval: plan.pollMs,
    depth: rel.split(sep).length - 1,
    // only the marker and the directories leading to it
    ignored: (p: string) => {
      const r = relative(scratch, p);
      return r !== '' && r !== rel && !rel.startsWith(r + sep);
    },
  });
  const hit = (p: string) => {
    if (relative(scratch, p) === rel) seenResolve();
  };
  w.on('add', hit);
  w.on('change', hit);
  w.on('error', () => undefined); // the exit check still finds the marker
  await new Promise<void>((resolve) => w.once('ready', resolve));
  return { seen, close: () => w.close() };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface TaskContext {
  layout: EnsembleLayout;
  plan: PlanFile;
  jobId: string | null;
  state: WrapperState;
  /** A local worker's: resources.time and resources.mem are enforced per task (./limits.ts). */
  local?: boolean;
}

/** A task's directory made ready to run: what {@link prepareTask} staged, and how to start the simulation there. */
export interface PreparedTask {
  dir: string;
  /** The command with the task's placeholders filled in. */
  argv: string[];
  /** What the task adds to the inherited environment ({@link taskVars}). */
  vars: Record<string, string>;
  /** A later stage's upstream row, when the plan has an upstream stage. */
  upstream: UpstreamInputs | null;
}

/**
 * Prepares one attempt of task `row` the one way the wrapper does, for `runTask` and `arrayflow reproduce`: reads
 * a later stage's upstream row first (UpstreamError when it did not succeed: no directory is made), then the
 * directory (`makeDir`), the inputs, the upstream task's kept files as `<stage>/`, params.json, the argv and the
 * environment. Reads the ensemble, writes only into the directory.
 */
export async function prepareTask(ctx: Pick<TaskContext, 'layout' | 'plan'>, row: TaskRow, attempt: number, makeDir: () => string): Promise<PreparedTask> {
  const { runtime, upstream: up } = ctx.plan;
  const upstream = up ? await (await import('./upstream.js')).upstreamInputs(up, ctx.layout.root, row) : null;
  const task: TaskRow = upstream ? { ...row, params: { ...upstream.values, ...row.params } } : row;
  const dir = makeDir();
  await stageInputs(dir, runtime.inputs);
  if (upstream?.outputs && up) symlinkSync(upstream.outputs, join(dir, up.stage));
  overwriteSync(join(dir, PARAMS_FILE), JSON.stringify({ task_id: row.id, task_seed: row.seed, attempt, ...task.params }) + '\n');
  const values = placeholderValues(task, attempt, dir);
  return { dir, argv: runtime.command.map((a) => renderPlaceholders(a, values)), vars: taskVars(task, attempt, dir, runtime, values), upstream };
}

/** The task's result file parsed (csv-parse is loaded for a CSV result only). */
async function parseResultText(text: string, spec: ResultSpec) {
  return spec.format === 'csv' ? (await import('./result.js')).parseResult(text, spec) : parseJsonResult(text, spec);
}

/**
 * The result file of a task that exited 0 (`how` says so in the reason), read and parsed as the wrapper records it:
 * its values, or the reason it fails the task (`no result:`, `result too large:`, `bad result:`). Also used by `reproduce`.
 */
export async function readResultFile(
  dir: string,
  spec: ResultSpec,
  how: string,
): Promise<{ ok: true; result: NonNullable<TaskRecord['result']> } | { ok: false; reason: string; tooLarge: boolean }> {
  const { file } = spec;
  let fd: number;
  try {
    fd = openSync(join(dir, file), 'r');
  } catch {
    return { ok: false, reason: `no result: the simulation ${how} but did not write ${file}`, tooLarge: false };
  }
  let text: string;
  try {
    // a runaway result (a 50 MB file) is not read into memory nor into the dataset: it stays in outputs/ to look at
    const size = fstatSync(fd).size;
    const max = spec.max_size ?? DEFAULT_RESULT_MAX_SIZE; // plans written before result.max_size existed
    if (size > max) return { ok: false, reason: `result too large: ${file} has ${size} bytes (> result.max_size, ${max} bytes)`, tooLarge: true };
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const parsed = await parseResultText(text, spec);
  return parsed.ok ? { ok: true, result: parsed.result } : { ok: false, reason: parsed.reason, tooLarge: false };
}

/**
 * Runs one attempt of one task in its own scratch dir. `emit` (the record file's writer) gets the record
 * once outputs were copied back and before scratch is removed; without it, the caller writes the returned
 * record. With `result.marker`, the task is complete as soon as the marker file appears: its result is
 * read, outputs copied back, the record emitted, and only then is a simulation that still runs (a
 * daemon) terminated. Without a marker, completion is the process exit.
 */
export async function runTask(ctx: TaskContext, row: TaskRow, attempt: number, emit?: (rec: TaskRecord) => void): Promise<TaskRecord> {
  const { runtime } = ctx.plan;
  const limits = taskLimits(ctx.plan, attempt, ctx.local === true);
  const start = new Date();
  const record = (status: TaskRecord['status'], reason: string | null, extra: Partial<TaskRecord> = {}): TaskRecord => {
    const end = new Date();
    // a local worker stopped mid-task (Ctrl-C, the controller gone): no outcome, the task runs again on `resume`
    if (status === 'failed' && ctx.state.interrupted) {
      status = 'interrupted';
      reason = interruptReason(ctx.state.terminating!);
    }
    return {
      task: row.id,
      attempt,
      status,
      reason,
      exit_code: null,
      signal: null,
      host: HOST,
      job_id: ctx.jobId,
      start: start.toISOString(),
      end: end.toISOString(),
      duration_s: (end.getTime() - start.getTime()) / 1000,
      result: null,
      source: 'wrapper',
      scratch: root,
      ...extra,
    };
  };
  const root = resolveScratchRoot(runtime.scratch);
  let scratch: string | null = null;
  // the scratch dir once this attempt's stream files were opened: the stale ones of a reused dir are no one's logs
  let streams: string | null = null;
  let proc: Started | null = null;
  let markerWatch: MarkerWatch | null = null;
  const attemptTask = async (): Promise<TaskRecord> => {
    // one mkdir (the root only on first use) and the owner file; scratch is node-local: synchronous calls
    const { dir, argv, vars, upstream } = await prepareTask(ctx, row, attempt, () => (scratch = makeScratch(root, `arrayflow-${ctx.plan.name}-t${row.id}-`)));
    const env = taskEnv(vars);
    const marker = runtime.result.marker;
    // watching starts before the simulation, so no marker can appear unseen
    if (marker) markerWatch = await watchMarker(dir, marker);
    // stopped while staging: the simulation is not started (nothing would stop it)
    if (ctx.state.terminating) return record('failed', stopReason(ctx.state.terminating));
    // the stream files, emptied (a reused scratch dir holds the last task's): the simulation's output is appended to them
    const streamPaths = { stdout: join(dir, STREAM_FILES.stdout), stderr: join(dir, STREAM_FILES.stderr) };
    closeSync(openSync(streamPaths.stdout, 'w'));
    closeSync(openSync(streamPaths.stderr, 'w'));
    streams = dir;
    const started = startCommand(argv, dir, env, streamPaths, limits, ctx.state);
    proc = started;
    // without a marker, completion is a plain wait on the child's exit
    const exit: Exit | null = markerWatch ? await Promise.race([started.exited, markerWatch.seen.then(() => null)]) : await started.exited;
    const exitFields: Partial<TaskRecord> = exit ? { exit_code: exit.code, signal: exit.signal } : {};
    if (marker && (exit === null || (await exists(join(dir, marker))))) {
      // the marker says the result is complete, whatever the process does next
      await copyBack(dir, ctx.layout.outputs(row.id), runtime.keep, runtime.result);
      return resultRecord(dir, exitFields, `wrote the marker ${marker}`, upstream?.values);
    }
    const reason = exit ? exitReason(exit, argv[0], limits, ctx.state) : null;
    // an interrupted attempt's files are partial: the next attempt's are the task's
    if (reason && ctx.state.interrupted) return record('failed', reason, exitFields);
    await copyBack(dir, ctx.layout.outputs(row.id), runtime.keep, runtime.result);
    if (reason) return record('failed', reason, exitFields);
    if (marker) return record('failed', `no result: the simulation exited 0 but did not write the marker ${marker}`, exitFields);
    return resultRecord(dir, exitFields, 'exited 0', upstream?.values);
  };
  /** The record of a task that completed; a later stage's row carries its upstream columns before its own. */
  const resultRecord = async (dir: string, exitFields: Partial<TaskRecord>, how: string, lineage?: TaskRecord['result']): Promise<TaskRecord> => {
    const read = await readResultFile(dir, runtime.result, how);
    if (!read.ok) {
      // a runaway result: copyBack has kept it already unless keep is none
      if (read.tooLarge && runtime.keep === 'none') await keepFile(dir, ctx.layout.outputs(row.id), runtime.result.file);
      return record('failed', read.tooLarge ? `${read.reason}; kept in outputs/${row.id}/` : read.reason, exitFields);
    }
    return record('done', null, { ...exitFields, result: lineage ? { ...lineage, ...read.result } : read.result });
  };
  let rec: TaskRecord;
  try {
    rec = await attemptTask();
  } catch (e) {
    rec = record('failed', e instanceof UpstreamError ? e.message : `wrapper error: ${(e as Error).message}`);
  }
  // every failure carries the end of the simulation's stderr ('' when none ran); the logs are kept before the record
  const ran = streams as string | null;
  if (rec.status === 'failed') rec.stderr_tail = ran ? stderrTail(ran) : '';
  const logs = runtime.logs ?? DEFAULT_LOGS; // plans written before `logs` existed
  if (ran && (logs === 'all' || (logs === 'failed' && rec.status === 'failed'))) {
    await keepTaskLogs(ran, ctx.layout, row.id, attempt).catch((e: unknown) => {
      process.stderr.write(`arrayflow: cannot keep the logs of task ${row.id}: ${(e as Error).message}\n`);
    });
  }
  try {
    // the record goes out before the simulation is stopped and scratch removed: marker last, work kept
    if (emit) rec = emitOrStorageFailure(emit, rec);
  } finally {
    const w = markerWatch as MarkerWatch | null;
    const p = proc as Started | null;
    await w?.close().catch(() => undefined);
    await p?.stop();
    // the task's files go now; the empty dir in the background (awaited before the wrapper exits)
    if (scratch) removeScratch(scratch, ownFilesOf(runtime.inputs).names);
  }
  return rec;
}

/**
 * Emits `rec`; when the filesystem refuses it (full, over quota, read-only), emits the task's short storage failure
 * instead and returns that. The record file holds no part of a refused line (util/fs.ts AppendOnlyFile); when the
 * short record is refused too, its StorageError is thrown and the task has no record at all.
 */
function emitOrStorageFailure(emit: (rec: TaskRecord) => void, rec: TaskRecord): TaskRecord {
  try {
    emit(rec);
    return rec;
  } catch (e) {
    if (!(e instanceof StorageError)) throw e;
    const short = storageRecord(rec, e);
    emit(short);
    return short;
  }
}

/** Exit status of a wrapper: 0, or after a stop by a signal 128 + its number, like a shell (the end of its input is no signal). */
export function stopExitCode(cause: StopCause | null): number {
  if (cause === null || cause === 'end of input') return 0;
  return 128 + (osConstants.signals[cause] ?? 15);
}
