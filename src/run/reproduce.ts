// `arrayflow reproduce`: one task of a planned ensemble rebuilt in a directory of its own by the wrapper's own
// prepareTask (inputs, params.json, environment, argv, seed), run in the foreground or printed as a shell command.
// It reads the ensemble and writes nothing into it: no record, no journal line, no output.
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import type { ResultSpec } from '../config/types.js';
import { UsageError } from '../errors.js';
import { EnsembleLayout } from '../layout/layout.js';
import { WrapperState, exitReason, startCommand } from '../node/child.js';
import { taskLimits } from '../node/limits.js';
import { type PreparedTask, prepareTask, readResultFile, stopExitCode, taskEnv } from '../node/wrapper.js';
import { readPlan } from '../plan/read.js';
import { type TaskRow, readTaskRange } from '../plan/tasks.js';
import { readFinals } from '../records/read.js';
import { shellQuote } from '../render/shell.js';
import { readStages } from './stages.js';

export interface ReproduceOptions {
  /** Where to build the task's directory: absent or empty, outside the ensemble. Default: a new one under the temp dir. */
  dir?: string;
  /** The stage of a multi-stage ensemble whose task it is (`task` is then its id in stages/<stage>/). */
  stage?: string;
  /** The attempt number it runs as ({attempt}, ARRAYFLOW_ATTEMPT). Default: the task's last recorded attempt, else 1. */
  attempt?: number;
}

/** A task made ready to run again: its directory, argv and variables, and what identifies it. */
export interface Reproduction extends PreparedTask {
  /** The ensemble directory the task belongs to (a stage's for a multi-stage ensemble). */
  ensembleDir: string;
  task: number;
  seed: number;
  attempt: number;
  params: TaskRow['params'];
  /** The wrapper's time limit of this attempt, seconds (0 = none): `timeout` grown by retry_scale (the shorter resources.time on the local executor). */
  timeout: number;
  /** Which setting that limit comes from, as failure reasons name it. */
  timeKey: 'timeout' | 'resources.time';
  /** The reason of the task's last recorded attempt (`timeout: ...`), null when it is done or has no record. */
  recordedReason: string | null;
  /** executor.setup: the lines a job script runs before the wrapper (not run here). */
  setup: string[];
  /** The result file the task must write: one that exited 0 without a valid one failed as `no result:` / `bad result:`. */
  result: ResultSpec;
}

/** Which ensemble directory holds the task: the ensemble's, or its stage's. */
async function taskEnsemble(root: string, stage: string | undefined): Promise<string> {
  const stages = await readStages(root);
  const names = stages?.stages.map((s) => s.name) ?? [];
  if (!stages) {
    if (stage !== undefined) throw new UsageError(`${root} is a single-stage ensemble: it has no stage ${JSON.stringify(stage)}`);
    return root;
  }
  if (stage === undefined || !names.includes(stage)) {
    const which = stage === undefined ? 'name the stage of the task' : `it has no stage ${JSON.stringify(stage)}`;
    throw new UsageError(`${root} is a multi-stage ensemble: ${which} (one of ${names.join(', ')}); the task is its id in stages/<stage>/`);
  }
  return new EnsembleLayout(root).stageDir(stage);
}

/** The directory maker of a reproduction: the given one (absent or empty, not inside the ensemble), or a new temp dir. */
function directoryMaker(dir: string | undefined, ensemble: string, name: string, task: number): () => string {
  if (dir === undefined) return () => mkdtempSync(join(tmpdir(), `arrayflow-reproduce-${name}-t${task}-`));
  const target = resolve(dir);
  if ((target + sep).startsWith(ensemble + sep)) throw new UsageError(`${target} is inside the ensemble ${ensemble}: reproduce writes nothing there; choose a directory outside it`);
  let entries: string[] = [];
  try {
    entries = readdirSync(target);
  } catch {
    // absent: made below
  }
  if (entries.length > 0) throw new UsageError(`${target} is not empty: give a new or empty directory, so none of its files can be mistaken for the task's`);
  return () => {
    mkdirSync(target, { recursive: true });
    return target;
  };
}

/**
 * Rebuilds task `task` of the ensemble at `ensembleDir` as the task wrapper would: its upstream row (a later stage),
 * inputs, params.json, argv and environment, in `opts.dir` (default: a new directory under the temp dir, kept).
 * Reads the ensemble only.
 */
export async function prepareReproduction(ensembleDir: string, task: number, opts: ReproduceOptions = {}): Promise<Reproduction> {
  const dir = await taskEnsemble(resolve(ensembleDir), opts.stage);
  const { layout, plan } = await readPlan(dir);
  if (!Number.isInteger(task) || task < 0 || task >= plan.tasks) throw new UsageError(`${dir} has no task ${task}: its tasks are 0..${plan.tasks - 1}`);
  const [row] = await readTaskRange(layout, task, task + 1);
  const recorded = (await readFinals(layout.resultsDir)).get(task);
  const attempt = opts.attempt ?? recorded?.attempt ?? 1;
  const makeDir = directoryMaker(opts.dir, layout.root, plan.name, task);
  const prepared = await prepareTask({ layout, plan }, row, attempt, makeDir);
  // the wrapper's limit for this attempt; memory is not watched here: the task runs in the foreground, for a look at it
  const { time, timeKey } = taskLimits(plan, attempt, plan.executor.type === 'local');
  return {
    ...prepared,
    ensembleDir: layout.root,
    task,
    seed: row.seed,
    attempt,
    params: { ...prepared.upstream?.values, ...row.params },
    timeout: time,
    timeKey,
    recordedReason: recorded?.reason ?? null,
    setup: plan.executor.setup ?? [],
    result: plan.runtime.result,
  };
}

/**
 * The task as a shell command to paste (pure): `cd <dir> && env VAR=value ... argv`, every word shell-quoted, after
 * comment lines naming the task and the job script's setup lines.
 */
export function renderReproduction(r: Reproduction): string {
  const limit = r.timeout > 0 ? `; the wrapper's time limit is ${r.timeout} s` : '';
  const lines = [`# task ${r.task} of ${JSON.stringify(r.ensembleDir)} (attempt ${r.attempt}, task_seed ${r.seed})${limit}`];
  if (r.setup.length > 0) lines.push('# a job script runs executor.setup before it:', ...r.setup.map((l) => `#   ${l}`));
  const words = [...Object.entries(r.vars).map(([k, v]) => shellQuote(`${k}=${v}`)), r.argv.map(shellQuote).join(' ')];
  lines.push(`cd ${shellQuote(r.dir)} && env \\`, ...words.map((w, i) => `  ${w}${i < words.length - 1 ? ' \\' : ''}`));
  return lines.join('\n') + '\n';
}

export interface ReproduceRunOptions {
  /** File descriptors for the simulation's stdout and stderr (default 1 and 2: the terminal). */
  stdout?: number;
  stderr?: number;
  /** Task time limit in seconds, 0 for none (default: the plan's). */
  timeout?: number;
  /** Stops the simulation (SIGTERM to its process group, SIGKILL 3 s later). */
  signal?: AbortSignal;
}

/** How a reproduced task ended: its exit code (128 + n for signal n, 127 when it could not start) and the wrapper's reason. */
export interface ReproduceOutcome {
  exitCode: number;
  /** The reason the wrapper would record (`exit code 3`, `timeout: ...`), or null when it exited 0. */
  reason: string | null;
  /** The time limit stopped it (SIGTERM, SIGKILL 3 s later): its exitCode is then the signal's, 143 or 137. */
  timedOut: boolean;
}

/** Runs a prepared task in its directory, in the foreground, the way the wrapper starts it. */
export async function runReproduction(r: Reproduction, opts: ReproduceRunOptions = {}): Promise<ReproduceOutcome> {
  const state = new WrapperState();
  const limits = { time: opts.timeout ?? r.timeout, timeKey: r.timeKey, mem: null };
  const stop = () => state.terminate('SIGINT');
  opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    const started = startCommand(r.argv, r.dir, taskEnv(r.vars), { stdout: opts.stdout ?? 1, stderr: opts.stderr ?? 2 }, limits, state);
    const exit = await started.exited;
    const exitCode = exit.code ?? (exit.signal ? stopExitCode(exit.signal) : 127);
    const reason = exitReason(exit, r.argv[0], limits, state);
    // exited 0: the wrapper would still fail it for a missing, runaway or unreadable result file
    const read = reason === null ? await readResultFile(r.dir, r.result, 'exited 0') : null;
    return { exitCode, reason: read && !read.ok ? read.reason : reason, timedOut: exit.timedOut };
  } finally {
    opts.signal?.removeEventListener('abort', stop);
  }
}
