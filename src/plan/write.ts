// Writes (or re-opens) an ensemble directory from a config: frozen config, manifest, task table, plan file, journal.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseDuration } from '../config/normalise.js';
import { parseConfigSource } from '../config/source.js';
import type { Config, ExecutorSpec, StageSpec } from '../config/types.js';
import { ConfigError, EnsembleError } from '../errors.js';
import { type SettingChange, appendJournal, provenanceHistory, readJournal } from '../journal/journal.js';
import { acquireLock } from '../journal/lock.js';
import { readPointsFile, sampleDesign } from '../sampling/index.js';
import { writeFileAtomic } from '../util/fs.js';
import { arrayflowBin } from '../util/paths.js';
import { EnsembleLayout } from '../layout/layout.js';
import { type Provenance, codeChanged, gatherProvenance, requireCleanGit } from '../provenance/provenance.js';
import { type BundleChoice, type BundleInput, DEFAULT_TARGET_S, chooseBundle } from './bundle.js';
import { readPlan } from './read.js';
import { buildManifest, readManifest } from './manifest.js';
import { configSettings, planSettings, settingsChanges, taskChanges, taskHash, taskKeys, withSettings } from './settings.js';
import { type PlanFile, type UpstreamSpec, crossUpstream, paramNames, planRuntime, upstreamTaskParam } from './plan.js';
import { type TaskTable, designTable, writeTaskTable } from './tasks.js';

export interface OpenedPlan {
  layout: EnsembleLayout;
  plan: PlanFile;
  /** false when the ensemble directory already held a plan of the same tasks (a resume). */
  created: boolean;
  /** The execution settings this config changed in an ensemble planned before (journalled; plan.json holds the new ones). */
  changes: SettingChange[];
}

/** What the bundle choice reads of a config or a plan: the executor section and the per-task timeout. */
export function bundleInput(
  executor: ExecutorSpec,
  timeout: number,
  tasks: number,
  taskTime: number | null,
  slots: number | null,
): Omit<BundleInput, 'learnable'> {
  const { array, resources } = executor;
  return {
    tasks,
    taskTime,
    target: array.target_element_time ?? DEFAULT_TARGET_S,
    slots,
    ...(array.throttle === undefined ? {} : { throttle: array.throttle }),
    timeLimit: resources.time === undefined ? null : parseDuration(resources.time),
    timeout,
    parallel: array.parallel,
    explicit: array.bundle ?? null,
  };
}

/**
 * The bundle of `config`'s `tasks` tasks: the config's, or chosen (src/plan/bundle.ts) from expected_task_time (or a
 * probe, or timeout), target_element_time, resources.time and `slots`, the elements the cluster runs at once (null:
 * unknown). A probe (learning the task time) is for a batch executor's single-stage, non-adaptive ensemble: a later stage's
 * jobs depend on the jobs its upstream has when they start, and an adaptive round is sized by its proposer.
 * `taskTimeFrom` names where expected_task_time came from in the reason (a smoke run's measurement).
 */
export function bundleFor(config: Config, tasks: number, slots: number | null = null, taskTimeFrom?: string): BundleChoice {
  return chooseBundle({
    ...bundleInput(config.executor, config.timeout, tasks, config.expected_task_time ?? null, slots),
    ...(taskTimeFrom === undefined ? {} : { taskTimeFrom }),
    learnable: config.executor.type !== 'local' && config.stage === undefined && config.adaptive === undefined,
  });
}

/** The plan file of `config` with `tasks` tasks and ensemble id `id` (pure); `slots` as for {@link bundleFor}. */
export function planFileFor(config: Config, keys: Record<string, string>, tasks: number, id: string, upstream?: UpstreamSpec, slots: number | null = null): PlanFile {
  const { bundle, elements, reason, probe } = bundleFor(config, tasks, slots);
  return {
    ...(upstream ? { upstream } : {}),
    ...(config.adaptive ? { adaptive: config.adaptive } : {}),
    ...(config.prologue ? { prologue: config.prologue } : {}),
    dataset: config.dataset,
    format: 1,
    name: config.name,
    id,
    task_hash: taskHash(keys),
    task_keys: keys,
    tasks,
    param_names: upstream ? [upstreamTaskParam(upstream.stage), ...paramNames(config)] : paramNames(config),
    bundle,
    bundle_reason: reason,
    ...(probe === undefined ? {} : { bundle_probe: probe }),
    array_tasks: tasks,
    design: { parameters: config.parameters, sampling: config.sampling },
    elements,
    retries: config.executor.retries,
    runtime: planRuntime(config),
    executor: config.executor,
    node: process.execPath,
    arrayflow: arrayflowBin(),
  };
}

/** The stage feeding a later stage's tasks, and how many tasks it has. */
export interface Upstream {
  spec: UpstreamSpec;
  tasks: number;
}

/** A stage planned (or sampled) before the later ones: its name, directory and plan. */
export interface StagePlan {
  name: string;
  layout: EnsembleLayout;
  plan: PlanFile;
}

/**
 * The upstream of stage `spec` among the stages before it (none for the first). Its directory is recorded relative
 * to the stage's own (`../coarse`): the ensemble directory can move, and nodes see it under their own mount point.
 */
export function upstreamOf(spec: StageSpec, stageDir: string, before: readonly StagePlan[]): Upstream | undefined {
  const up = spec.after === null ? undefined : before.find((p) => p.name === spec.after);
  if (!up) return undefined;
  return { spec: { stage: up.name, dir: relative(stageDir, up.layout.root), depend: spec.depend }, tasks: up.plan.tasks };
}

/** The task table of `config` (reads the points file of method `list`), crossed with the upstream stage's tasks. */
export async function samplePlan(config: Config, upstream?: Upstream): Promise<TaskTable> {
  const sampling = config.sampling.file ? { ...config.sampling, points: await readPointsFile(config.sampling.file, config.parameters) } : config.sampling;
  const design = sampleDesign(config.parameters, sampling);
  const own = designTable(config.parameters, design, config.sampling.seed, config.sampling.batch ?? design.count, 0);
  return upstream ? crossUpstream(upstream.spec.stage, upstream.tasks, own, config.sampling.seed, config.sampling.batch) : own;
}

/** Sampling methods whose points are all given (a grid of the values, a list): `extend --budget` has none to add. */
const FIXED_DESIGNS: ReadonlySet<string> = new Set(['grid', 'list']);

/**
 * The config error of a `config` that defines other tasks than the ensemble planned in its directory: one issue per
 * key that differs, at that key in the config file (its parent's place when the key was removed), saying what to do.
 */
function taskChangeError(config: Config, configText: string, changed: string[]): ConfigError {
  const dir = config.ensemble_dir;
  const { samples, replicates } = config.sampling;
  // a grid or a list has no points beyond its own: only a sequence (random, LHS, Sobol) grows by a budget
  const extend: Record<string, string> = {
    ...(FIXED_DESIGNS.has(config.sampling.method) ? {} : { 'sampling.samples': `samples, put it back and run \`arrayflow extend ${dir} --budget ${samples ?? 'N'}\`` }),
    'sampling.replicates': `replicates, put it back and run \`arrayflow extend ${dir} --replicates ${replicates ?? 'R'}\``,
  };
  const source = parseConfigSource(configText, config.source);
  return new ConfigError(
    changed.map((key) => {
      // task keys are one level deep (`parameters.beta`); the points file's bytes are `sampling.file (contents)`
      const [top, sub] = key.replace(/ \(contents\)$/, '').split(/\.(.*)/s);
      const more = extend[key] === undefined ? '' : `; to add ${extend[key]}`;
      const what = key === 'sampling.file (contents)' ? `the contents of ${config.sampling.file} differ from those of` : 'differs from';
      return source.issue(
        sub === undefined ? [top] : [top, sub],
        `${what} the ensemble planned in ${dir}: it defines the tasks, and only execution settings (timeout, keep, logs, dataset, executor.*) ` +
          `may change between runs of one ensemble; put it back, or set another ensemble_dir for a new ensemble (this one stays as it is)${more}`,
        { key: true },
      );
    }),
  );
}

/**
 * Re-opens the ensemble planned in `config`'s directory: refused when the config defines other tasks; otherwise its
 * execution settings become the config's (plan.json and the frozen config.yaml rewritten, the change journalled).
 */
async function reopenPlan(config: Config, configText: string, existing: { layout: EnsembleLayout; plan: PlanFile }, keys: Record<string, string>): Promise<OpenedPlan> {
  const { layout, plan } = existing;
  if (!plan.task_keys) {
    throw new EnsembleError(
      `${config.ensemble_dir} was planned by an earlier arrayflow (its plan.json has no task_keys), so ${config.source} cannot be compared with it: ` +
        `continue it with \`arrayflow resume ${config.ensemble_dir}\`, or set another ensemble_dir`,
    );
  }
  const changed = taskChanges(plan.task_keys, keys);
  if (changed.length > 0) throw taskChangeError(config, configText, changed);
  const settings = configSettings(config);
  if (settingsChanges(planSettings(plan), settings).length === 0) return { layout, plan, created: false, changes: [] };
  const lock = await acquireLock(layout.lock);
  try {
    // the plan as it is now, under the lock (extend or an adaptive round may have added tasks)
    const current = (await readPlan(config.ensemble_dir)).plan;
    const changes = settingsChanges(planSettings(current), settings);
    const next = withSettings(current, settings);
    await writeFileAtomic(layout.config, configText);
    await writeFileAtomic(layout.planFile, JSON.stringify(next, null, 2) + '\n');
    if (changes.length > 0) appendJournal(layout.journal, { event: 'settings', changes });
    return { layout, plan: next, created: false, changes };
  } finally {
    await lock.release();
  }
}

/** The provenance last recorded in an ensemble directory: its journal's last `provenance` event, else its manifest's. */
async function lastProvenance(layout: EnsembleLayout): Promise<Provenance | undefined> {
  return provenanceHistory(await readJournal(layout.journal)).at(-1)?.provenance ?? (await readManifest(layout))?.provenance;
}

/**
 * Plans the ensemble of `config` into its ensemble directory. If the directory already holds a plan of the same
 * tasks it is re-opened (so `run` resumes) with the config's execution settings; a plan of other tasks is a ConfigError
 * located at each key that differs. `slots`: the elements the cluster runs at once, when known (see {@link bundleFor}).
 * The provenance (src/provenance/) is gathered first: a dirty tree under provenance.require_clean_git is refused before
 * anything is written; a re-opened plan journals the provenance when its code or inputs changed since the last run.
 */
export async function writePlan(config: Config, configText: string, upstream?: Upstream, slots: number | null = null): Promise<OpenedPlan> {
  const layout = new EnsembleLayout(config.ensemble_dir);
  const previous = await lastProvenance(layout);
  const provenance = await gatherProvenance(config, configText, previous);
  requireCleanGit(config, configText, provenance);
  const pointsFile = config.sampling.file ? await readFile(config.sampling.file) : null;
  const keys = taskKeys(config, pointsFile);
  const existing = await readPlan(config.ensemble_dir).catch(() => null);
  if (existing) {
    const opened = await reopenPlan(config, configText, existing, keys);
    // other code or inputs than the last run's (a config that changed only is the `settings` event's to say)
    if (codeChanged(previous, provenance)) appendJournal(layout.journal, { event: 'provenance', provenance });
    return opened;
  }

  await Promise.all([layout.planDir, layout.scriptsDir, layout.resultsDir, layout.startsDir, layout.logsDir, layout.jobLogsDir].map((d) => mkdir(d, { recursive: true })));
  const table = await samplePlan(config, upstream);
  const tasks = table.seeds.length;
  if (tasks === 0) throw new EnsembleError(`${config.source}: the sampling produced no points`);
  await writeTaskTable(layout, table);
  const plan = planFileFor(config, keys, tasks, randomBytes(4).toString('hex'), upstream?.spec, slots);
  const reason = plan.bundle_reason as string;
  await writeFileAtomic(layout.config, configText);
  await writeFileAtomic(layout.manifest, JSON.stringify(await buildManifest(config, plan.task_hash, tasks, pointsFile, provenance), null, 2) + '\n');
  // plan.json last: its presence marks a complete plan
  await writeFileAtomic(layout.planFile, JSON.stringify(plan, null, 2) + '\n');
  appendJournal(layout.journal, { event: 'planned', tasks: plan.tasks, elements: plan.elements, task_hash: plan.task_hash, bundle: plan.bundle, bundle_reason: reason });
  return { layout, plan, created: true, changes: [] };
}
