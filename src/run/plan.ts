// `arrayflow plan`: expand a config into its ensemble directory (every stage of a multi-stage one), or show what would be submitted.
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { readConfig, readConfigFile } from '../config/load.js';
import type { Config, ExecutorType } from '../config/types.js';
import { SchedulerRunner } from '../executor/runner.js';
import { EnsembleLayout } from '../layout/layout.js';
import { taskKeys } from '../plan/settings.js';
import { type ArrayLimits, chunkLabel } from '../plan/plan.js';
import { slotsFor } from '../plan/slots.js';
import { type OpenedPlan, type StagePlan, planFileFor, samplePlan, upstreamOf, writePlan } from '../plan/write.js';
import { planSubmissions, renderSubmission } from '../render/submission.js';
import { batchScheduler } from '../scheduler/registry.js';
import { LocalTransport } from '../transport/local.js';
import type { Transport } from '../transport/transport.js';
import { EnsembleError } from '../errors.js';
import { planStages } from './stages.js';
import { type RunOptions, reportSettings } from './types.js';

/**
 * Plans the ensemble of a config (or re-opens it when it is planned already): one entry per stage of a
 * multi-stage config, else one. Nothing runs.
 */
export async function planEnsemble(configPath: string, opts: Pick<RunOptions, 'onSettings'> = {}): Promise<Array<OpenedPlan & { name?: string }>> {
  const { config, text } = await readConfigFile(configPath);
  return planConfig(config, text, opts);
}

/**
 * {@link planEnsemble} of a validated config (`name`: the stage's, for a multi-stage one); `text` is its YAML, frozen
 * into the ensemble directory as config.yaml. Execution settings it changes are reported through `opts.onSettings`.
 */
export async function planConfig(config: Config, text: string, opts: Pick<RunOptions, 'onSettings'> = {}): Promise<Array<OpenedPlan & { name?: string }>> {
  const opened = config.stages ? await planStages(config, text) : [await writePlan(config, text)];
  reportSettings(opened, opts);
  return opened;
}

/**
 * The ensemble directory `resume` and `retry` work on: a directory as it is (with the execution settings its plan
 * holds); for a config file, its ensemble re-opened with the config's execution settings (changes journalled and
 * reported through `opts.onSettings`; a config defining other tasks is refused). A config whose ensemble was never
 * planned is an error: `run` plans it.
 */
export async function openTarget(target: string, opts: Pick<RunOptions, 'onSettings'> = {}): Promise<string> {
  const st = await stat(target).catch(() => null);
  if (st === null) throw new EnsembleError(`${target}: no such ensemble directory or config file`);
  if (st.isDirectory()) return target;
  const { config, text } = await readConfigFile(target);
  const layout = new EnsembleLayout(config.ensemble_dir);
  if (!existsSync(layout.planFile) && !existsSync(layout.stagesFile)) {
    throw new EnsembleError(`${config.ensemble_dir} (ensemble_dir of ${target}) holds no planned ensemble: \`arrayflow run ${target}\` plans and runs it`);
  }
  await planConfig(config, text, opts);
  return config.ensemble_dir;
}

export interface DryRun {
  tasks: number;
  elements: number;
  /**
   * The bundle of each stage (one entry, `stage` absent, for a single-stage config) and why it was chosen; `probe`: the
   * tasks that go out first, one per element, to measure the task time (the scripts are theirs: the rest is sized later).
   */
  bundles: Array<{ stage?: string; tasks: number; bundle: number; elements: number; reason: string; probe?: number }>;
  executor: ExecutorType;
  /** Why the cluster's limits were not used, when it could not be asked. */
  limitsNote: string | null;
  scripts: Array<{
    label: string;
    script: string;
  }>;
}

/**
 * What `plan` would submit: the scripts and the number of submissions, without writing or submitting anything.
 * For a multi-stage config, every stage's (labels `<stage>/<chunk>`; the job dependencies appear at submission).
 */
export async function dryRunPlan(configPath: string, opts: { executor?: ExecutorType; transport?: Transport } = {}): Promise<DryRun> {
  const config = await readConfig(configPath);
  const type = opts.executor ?? config.executor.type;
  let limits: ArrayLimits = {};
  let limitsNote: string | null = null;
  const transport = type === 'local' ? null : (opts.transport ?? new LocalTransport());
  const runner = transport && new SchedulerRunner(batchScheduler(type, config.executor.dialect), transport);
  // over SSH a run plans before it connects (docs/ssh.md): this machine's scheduler is not the cluster's
  const host = opts.transport ? undefined : config.executor.host;
  if (runner && host !== undefined) {
    limitsNote = `the cluster is reached over SSH (executor.host ${host}) only when the ensemble runs: chunks use only the config's overrides, and the scripts show this machine's paths (on the cluster they are under remote.dir)`;
  } else if (runner) {
    try {
      limits = await runner.limits();
    } catch (e) {
      limitsNote = `could not read the cluster's limits (${(e as Error).message}); chunks use only the config's overrides`;
    } finally {
      if (!opts.transport) await transport?.close();
    }
  }
  const stages = config.stages ?? [config];
  const plans: StagePlan[] = [];
  for (const stage of stages) {
    const pointsFile = stage.sampling.file ? await readFile(stage.sampling.file) : null;
    const upstream = stage.stage && upstreamOf(stage.stage, stage.ensemble_dir, plans);
    const tasks = (await samplePlan(stage, upstream)).seeds.length;
    // the choice writePlan makes; the cluster's CPUs count only where limits discovery reports them (ArrayLimits.cpus)
    const slots = slotsFor(limits.cpus, stage.executor.resources.cpus);
    const plan = planFileFor(stage, taskKeys(stage, pointsFile), tasks, 'dryrun00', upstream?.spec, slots);
    plans.push({ name: stage.stage?.name ?? '', plan, layout: new EnsembleLayout(stage.ensemble_dir) });
  }
  const tasks = plans.reduce((n, p) => n + p.plan.tasks, 0);
  const elements = plans.reduce((n, p) => n + p.plan.elements, 0);
  const bundles = plans.map(({ name, plan }) => ({
    ...(name ? { stage: name } : {}),
    tasks: plan.tasks,
    bundle: plan.bundle,
    elements: plan.elements,
    reason: plan.bundle_reason ?? '',
    ...(plan.bundle_probe === undefined ? {} : { probe: plan.bundle_probe }),
  }));
  if (!runner) return { tasks, elements, bundles, executor: type, limitsNote: null, scripts: [] };
  // the binding limits discovery settled on (PBS: Slurm's qsub wrapper names the log files differently)
  const sched = runner.sched;
  const scripts = plans.flatMap(({ name, plan, layout }) =>
    planSubmissions(plan, limits).map((c) => {
      const label = chunkLabel(c.chunk);
      const script = renderSubmission(layout, plan, sched, { label, offset: c.offset, count: c.count, attempt: 1 }, plan.executor.array.throttle);
      return { label: name ? `${name}/${label}` : label, script };
    }),
  );
  return { tasks, elements, bundles, executor: type, limitsNote, scripts };
}

