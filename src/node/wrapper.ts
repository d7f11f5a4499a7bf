// The node-side task wrapper: scratch dir, inputs, run the argv, read the result, copy back, record last, clean.
import { UpstreamError } from '../errors.js';
import { spawn } from 'node:child_process';
import { constants as osConstants, hostname, tmpdir } from 'node:os';
import { cp, mkdir, mkdtemp, open, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, normalize, relative, sep } from 'node:path';
import { renderTemplate as renderPlaceholders } from '../config/placeholders.js';
import type { ResultSpec } from '../config/types.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile, RuntimeSpec } from '../plan/plan.js';
import type { TaskRecord } from '../records/record.js';
import type { TaskRow } from '../plan/tasks.js';
import { globToRegExp } from '../util/glob.js';
import { processAlive } from '../util/process.js';
import { parseResult } from './result.js';

/** Seconds between SIGTERM and SIGKILL when a simulation must stop. */
const KILL_GRACE_S = 3;
const STDERR_TAIL_BYTES = 2048;

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

/** The environment of the simulation: inherited, plus the task's identity and parameters. */
export function taskEnv(row: TaskRow, attempt: number, scratch: string, runtime: RuntimeSpec, values: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // an upstream column `coarse.peak` is ARRAYFLOW_PARAM_coarse__peak: a name every shell can read
  for (const [k, v] of Object.entries(row.params)) env[`ARRAYFLOW_PARAM_${k.replaceAll('.', '__')}`] = String(v);
  env.ARRAYFLOW_TASK_ID = String(row.id);
  env.ARRAYFLOW_TASK_SEED = String(row.seed);
  env.ARRAYFLOW_ATTEMPT = String(attempt);
  env.ARRAYFLOW_SCRATCH = scratch;
  env.ARRAYFLOW_PARAMS = join(scratch, 'params.json');
  for (const [k, v] of Object.entries(runtime.env)) env[k] = renderPlaceholders(v, values);
  return env;
}

async function stageInputs(scratch: string, inputs: RuntimeSpec['inputs']): Promise<void> {
  if (inputs.dir) await cp(inputs.dir, scratch, { recursive: true });
  for (const f of inputs.copy) await cp(f, join(scratch, basename(f)), { recursive: true });
  for (const f of inputs.link) await symlink(f, join(scratch, basename(f)));
}

async function tail(path: string): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, STDERR_TAIL_BYTES);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').slice(-10).join('\n').trim();
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** Copies the files the keep policy asks for from scratch to outputs/<task>/ (before the record is written). */
async function copyBack(scratch: string, dest: string, keep: RuntimeSpec['keep'], result: ResultSpec): Promise<void> {
  if (keep === 'none') return;
  const patterns = keep === 'all' ? null : keep.map(globToRegExp);
  const entries = await readdir(scratch, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile() || e.name === OWNER_FILE) continue;
    const rel = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(scratch.length + 1);
    if (patterns && !patterns.some((p) => p.test(rel)) && rel !== result.file) continue;
    const target = join(dest, rel);
    await mkdir(dirname(target), { recursive: true });
    await cp(join(scratch, rel), target);
  }
}

/** Who made a scratch dir: lets a later wrapper remove what a SIGKILLed one (memory kill) could not. */
const OWNER_FILE = '.arrayflow-owner';


/**
 * Removes scratch dirs of this ensemble under `root` left by wrappers on this host that no longer run.
 * SIGKILL (a scheduler's memory kill, the OOM killer) gives a wrapper no chance to clean up; the next
 * wrapper on the node does it. Returns the dirs removed.
 */
export async function sweepStaleScratch(root: string, ensembleName: string): Promise<string[]> {
  const prefix = `arrayflow-${ensembleName}-t`;
  const removed: string[] = [];
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(root, name);
    let owner: { host?: string; pid?: number };
    try {
      owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as typeof owner;
    } catch {
      continue; // being created right now, or not ours
    }
    if (owner.host !== hostname() || typeof owner.pid !== 'number' || processAlive(owner.pid)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

interface Running {
  kill(signal: NodeJS.Signals): void;
}

/** State shared by all tasks of one wrapper process: termination request and the children to stop. */
export class WrapperState {
  terminating: NodeJS.Signals | null = null;
  readonly children = new Set<Running>();

  terminate(signal: NodeJS.Signals): void {
    if (this.terminating) return;
    this.terminating = signal;
    for (const c of this.children) c.kill('SIGTERM');
    setTimeout(() => {
      for (const c of this.children) c.kill('SIGKILL');
    }, KILL_GRACE_S * 1000).unref();
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  spawnError: NodeJS.ErrnoException | null;
}

/** A started simulation: its exit, and a way to end it (process group: SIGTERM, then SIGKILL after a grace). */
interface Started {
  exited: Promise<Exit>;
  stop(): Promise<void>;
}

function startCommand(argv: string[], cwd: string, env: NodeJS.ProcessEnv, stdoutFd: number, stderrFd: number, timeout: number, state: WrapperState): Started {
  let timedOut = false;
  let settled = false;
  let resolveExit: (e: Exit) => void = () => undefined;
  const exited = new Promise<Exit>((resolve) => (resolveExit = resolve));
  // detached: the simulation gets its own process group, so a timeout kills its children too
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', stdoutFd, stderrFd], detached: true });
  const running: Running = {
    kill(signal) {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    },
  };
  const finish = (exit: Exit) => {
    if (settled) return;
    settled = true;
    state.children.delete(running);
    if (timer) clearTimeout(timer);
    resolveExit(exit);
  };
  state.children.add(running);
  const timer =
    timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          running.kill('SIGTERM');
          setTimeout(() => running.kill('SIGKILL'), KILL_GRACE_S * 1000).unref();
        }, timeout * 1000)
      : null;
  child.on('error', (err) => finish({ code: null, signal: null, timedOut: false, spawnError: err }));
  child.on('exit', (code, signal) => {
    // make sure nothing of the group outlives the task (a background child holding scratch files)
    running.kill('SIGKILL');
    finish({ code, signal, timedOut, spawnError: null });
  });
  return {
    exited,
    async stop() {
      if (settled) return;
      running.kill('SIGTERM');
      const kill = setTimeout(() => running.kill('SIGKILL'), KILL_GRACE_S * 1000);
      await exited;
      clearTimeout(kill);
    },
  };
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

function exitReason(exit: Exit, argv0: string, timeout: number, state: WrapperState): string | null {
  if (exit.spawnError) {
    const code = exit.spawnError.code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : exit.spawnError.message;
    return `cannot start: command '${argv0}' ${why} (${code ?? 'error'})`;
  }
  if (exit.timedOut) return `timeout: exceeded the task time limit of ${timeout} s`;
  if (state.terminating && (exit.signal || exit.code !== 0)) {
    return `terminated: the task wrapper received ${state.terminating} (scheduler time limit, cancel or preemption)`;
  }
  if (exit.signal) {
    const hint = exit.signal === 'SIGKILL' ? ' (possibly out of memory)' : '';
    return `killed by signal ${exit.signal}${hint}`;
  }
  if (exit.code !== 0) return `exit code ${exit.code}`;
  return null;
}

export interface TaskContext {
  layout: EnsembleLayout;
  plan: PlanFile;
  jobId: string | null;
  state: WrapperState;
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
  const start = new Date();
  const record = (status: TaskRecord['status'], reason: string | null, extra: Partial<TaskRecord> = {}): TaskRecord => {
    const end = new Date();
    return {
      task: row.id,
      attempt,
      status,
      reason,
      exit_code: null,
      signal: null,
      host: hostname(),
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
  let proc: Started | null = null;
  let markerWatch: MarkerWatch | null = null;
  const attemptTask = async (): Promise<TaskRecord> => {
    // a later stage: the upstream row first (no scratch, no simulation when it failed)
    const upstream = ctx.plan.upstream ? await (await import('./upstream.js')).upstreamInputs(ctx.plan.upstream, ctx.layout.root, row) : null;
    const task: TaskRow = upstream ? { ...row, params: { ...upstream.values, ...row.params } } : row;
    await mkdir(root, { recursive: true });
    scratch = await mkdtemp(join(root, `arrayflow-${ctx.plan.name}-t${row.id}-`));
    await writeFile(join(scratch, OWNER_FILE), JSON.stringify({ host: hostname(), pid: process.pid }));
    await stageInputs(scratch, runtime.inputs);
    // the upstream task's kept files appear as <stage>/ in scratch
    if (upstream?.outputs && ctx.plan.upstream) await symlink(upstream.outputs, join(scratch, ctx.plan.upstream.stage));
    await writeFile(join(scratch, 'params.json'), JSON.stringify({ task_id: row.id, task_seed: row.seed, attempt, ...task.params }) + '\n');
    const values = placeholderValues(task, attempt, scratch);
    const argv = runtime.command.map((a) => renderPlaceholders(a, values));
    const env = taskEnv(task, attempt, scratch, runtime, values);
    const marker = runtime.result.marker;
    // watching starts before the simulation, so no marker can appear unseen
    if (marker) markerWatch = await watchMarker(scratch, marker);
    const outFh = await open(join(scratch, 'stdout.txt'), 'w');
    const errFh = await open(join(scratch, 'stderr.txt'), 'w');
    let exit: Exit | null;
    try {
      const started = startCommand(argv, scratch, env, outFh.fd, errFh.fd, runtime.timeout, ctx.state);
      proc = started;
      const markerSeen = markerWatch ? markerWatch.seen.then(() => null) : new Promise<null>(() => undefined);
      exit = await Promise.race([started.exited, markerSeen]);
    } finally {
      // the simulation holds its own copies of these descriptors
      await outFh.close();
      await errFh.close();
    }
    const exitFields: Partial<TaskRecord> = exit ? { exit_code: exit.code, signal: exit.signal } : {};
    if (marker && (exit === null || (await exists(join(scratch, marker))))) {
      // the marker says the result is complete, whatever the process does next
      await copyBack(scratch, ctx.layout.outputs(row.id), runtime.keep, runtime.result);
      return resultRecord(scratch, exitFields, `wrote the marker ${marker}`, upstream?.values);
    }
    const reason = exit ? exitReason(exit, argv[0], runtime.timeout, ctx.state) : null;
    await copyBack(scratch, ctx.layout.outputs(row.id), runtime.keep, runtime.result);
    if (reason) return record('failed', reason, { ...exitFields, stderr_tail: await tail(join(scratch, 'stderr.txt')) });
    if (marker) {
      return record('failed', `no result: the simulation exited 0 but did not write the marker ${marker}`, {
        ...exitFields,
        stderr_tail: await tail(join(scratch, 'stderr.txt')),
      });
    }
    return resultRecord(scratch, exitFields, 'exited 0', upstream?.values);
  };
  /** The record of a task that completed; a later stage's row carries its upstream columns before its own. */
  const resultRecord = async (dir: string, exitFields: Partial<TaskRecord>, how: string, lineage?: TaskRecord['result']): Promise<TaskRecord> => {
    let text: string;
    try {
      text = await readFile(join(dir, runtime.result.file), 'utf8');
    } catch {
      return record('failed', `no result: the simulation ${how} but did not write ${runtime.result.file}`, {
        ...exitFields,
        stderr_tail: await tail(join(dir, 'stderr.txt')),
      });
    }
    const parsed = parseResult(text, runtime.result);
    if (!parsed.ok) return record('failed', parsed.reason, exitFields);
    return record('done', null, { ...exitFields, result: lineage ? { ...lineage, ...parsed.result } : parsed.result });
  };
  let rec: TaskRecord;
  try {
    rec = await attemptTask();
  } catch (e) {
    rec = record('failed', e instanceof UpstreamError ? e.message : `wrapper error: ${(e as Error).message}`);
  }
  try {
    // the record goes out before the simulation is stopped and scratch removed: marker last, work kept
    emit?.(rec);
  } finally {
    const w = markerWatch as MarkerWatch | null;
    const p = proc as Started | null;
    await w?.close().catch(() => undefined);
    await p?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
  return rec;
}

/** Exit status of a wrapper that was told to stop by a signal (128 + signal number, like a shell). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 15);
}
