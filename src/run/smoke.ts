// `arrayflow run --smoke N`: N tasks spread over the design run here one after the other by the task wrapper, in a
// throw-away copy of the ensemble (the prologue first); their outcomes and durations, and the bundle the time gives.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/types.js';
import { UsageError } from '../errors.js';
import { EnsembleLayout } from '../layout/layout.js';
import { WrapperState } from '../node/child.js';
import { scratchRemoved } from '../node/scratch.js';
import { runTask } from '../node/wrapper.js';
import type { BundleChoice } from '../plan/bundle.js';
import { type PlanFile, upstreamTaskParam } from '../plan/plan.js';
import { type TaskRow, readTaskTable } from '../plan/tasks.js';
import { bundleFor, writePlan } from '../plan/write.js';
import type { TaskRecord } from '../records/record.js';
import { RecordWriter } from '../records/writer.js';
import { runPrologue } from './prologue.js';
import { planStages } from './stages.js';

/** One smoke task: which, its parameters, and the record the wrapper made of it. */
export interface SmokeTask {
  /** Its stage in a multi-stage ensemble, else null. */
  stage: string | null;
  task: number;
  seed: number;
  params: TaskRow['params'];
  record: TaskRecord;
}

/** The smoke tasks of one stage (the only one of a single-stage config) and what their time means for bundling. */
export interface SmokeStage {
  stage: string | null;
  tasks: SmokeTask[];
  /** Tasks of the stage in the whole design. */
  total: number;
  /** Mean seconds per smoke task that succeeded; null when none did. */
  measured_s: number | null;
  /** The config's expected_task_time (what bundling uses now), or null when it sets none. */
  expected_s: number | null;
  /** The bundle the plan would choose with the measured time; null when nothing was measured. */
  bundle: BundleChoice | null;
}

export interface SmokeResult {
  stages: SmokeStage[];
  /** Smoke tasks that failed. */
  failed: number;
}

export interface SmokeOptions {
  /** Stops starting tasks and ends the running one. */
  signal?: AbortSignal;
  onTask?: (t: SmokeTask) => void;
  onPrologue?: (p: { command: string[]; duration_s: number }) => void;
}

/** `n` of `list`, evenly spaced from the first to the last (all of them when there are no more). */
export function spread<T>(list: readonly T[], n: number): T[] {
  if (n >= list.length) return [...list];
  if (n === 1) return [list[0]];
  return Array.from({ length: n }, (_, i) => list[Math.round((i * (list.length - 1)) / (n - 1))]);
}

/** `config` (and its stages) planned into `dir` instead of its ensemble directory, scratch under `scratch`. */
function redirected(config: Config, dir: string, scratch: string): Config {
  const moved = (c: Config, to: string): Config => ({ ...c, ensemble_dir: to, executor: { ...c.executor, scratch } });
  const root = new EnsembleLayout(dir);
  const stages = config.stages?.map((s) => moved(s, root.stageDir(s.stage?.name ?? s.name)));
  return { ...moved(config, dir), ...(stages ? { stages } : {}) };
}

interface SmokePlan {
  stage: string | null;
  config: Config;
  layout: EnsembleLayout;
  plan: PlanFile;
}

/** The stage's tasks to run: `n` spread over those whose upstream task (a later stage) succeeded in this smoke run. */
async function pick(p: SmokePlan, n: number, done: Map<string, Set<number>>): Promise<TaskRow[]> {
  const rows = await readTaskTable(p.layout);
  const up = p.plan.upstream;
  const ok = up ? (done.get(up.stage) ?? new Set<number>()) : null;
  return spread(ok && up ? rows.filter((r) => ok.has(Number(r.params[upstreamTaskParam(up.stage)]))) : rows, n);
}

/**
 * Runs `n` tasks of `config` (per stage; a later stage's among those whose upstream smoke task succeeded) on this
 * machine, one at a time, with the task wrapper, in a throw-away directory that is removed afterwards: the
 * config's ensemble directory is never touched. The config's prologue runs first, there.
 */
export async function smokeConfig(config: Config, text: string, n: number, opts: SmokeOptions = {}): Promise<SmokeResult> {
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`a smoke run needs a number of tasks of at least 1, not ${n}`);
  const tmp = await mkdtemp(join(tmpdir(), `arrayflow-smoke-${config.name}-`));
  const state = new WrapperState();
  const stop = () => state.terminate('SIGINT');
  opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    const copy = redirected(config, join(tmp, 'ensemble'), join(tmp, 'scratch'));
    const plans: SmokePlan[] = copy.stages
      ? (await planStages(copy, text)).map((p, i) => ({ stage: p.name, config: (copy.stages as Config[])[i], layout: p.layout, plan: p.plan }))
      : [{ stage: null, config: copy, ...(await writePlan(copy, text)) }];
    if (config.prologue) {
      const duration_s = await runPrologue(new EnsembleLayout(copy.ensemble_dir), config.prologue);
      opts.onPrologue?.({ command: config.prologue.command, duration_s });
    }
    const done = new Map<string, Set<number>>();
    const stages: SmokeStage[] = [];
    for (const p of plans) {
      const tasks: SmokeTask[] = [];
      const writer = new RecordWriter(p.layout.recordFile('smoke'));
      try {
        for (const row of await pick(p, n, done)) {
          if (state.terminating) break;
          // the records stay in the throw-away copy, where a later stage's tasks read them
          const record = await runTask({ layout: p.layout, plan: p.plan, jobId: null, state }, row, 1, (r) => writer.write(r));
          const t: SmokeTask = { stage: p.stage, task: row.id, seed: row.seed, params: row.params, record };
          tasks.push(t);
          opts.onTask?.(t);
        }
      } finally {
        writer.close();
      }
      const ok = tasks.filter((t) => t.record.status === 'done');
      if (p.stage) done.set(p.stage, new Set(ok.map((t) => t.task)));
      const measured = ok.length === 0 ? null : ok.reduce((s, t) => s + t.record.duration_s, 0) / ok.length;
      const bundle = measured === null ? null : bundleFor({ ...p.config, expected_task_time: measured }, p.plan.tasks, null, 'smoke run');
      stages.push({ stage: p.stage, tasks, total: p.plan.tasks, measured_s: measured, expected_s: p.config.expected_task_time ?? null, bundle });
    }
    return { stages, failed: stages.reduce((k, s) => k + s.tasks.filter((t) => t.record.status === 'failed').length, 0) };
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    await scratchRemoved();
    await rm(tmp, { recursive: true, force: true });
  }
}
