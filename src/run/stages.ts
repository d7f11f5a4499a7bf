// Multi-stage ensembles (docs/stages.md): every stage is an ensemble of its own under <root>/stages/<name>/, a later
// stage's tasks read their upstream rows when they start, and the root's dataset holds every stage's rows.
import { mkdir, readFile } from 'node:fs/promises';
import type { Config, StageSpec } from '../config/types.js';
import { type CollectOverrides, type RunOptions, type RunResult, reportSettings } from './types.js';
import { readFinals } from '../records/read.js';
import { EnsembleError, UsageError } from '../errors.js';
import type { Dependency, UpstreamWatch } from '../executor/batch.js';
import { EnsembleLayout } from '../layout/layout.js';
import { upstreamTaskParam } from '../plan/plan.js';
import { datasetMetadata, readManifest } from '../plan/manifest.js';
import { readPlan } from '../plan/read.js';
import { readTaskTable } from '../plan/tasks.js';
import { placeRows, pointBlocks } from '../plan/points.js';
import type { StagePlan } from '../plan/write.js';
import { type TaskRecord, endsTask } from '../records/record.js';
import type { SettingChange } from '../journal/journal.js';
import type { TaskRow } from '../plan/tasks.js';
import { writeFileAtomic } from '../util/fs.js';

/** <root>/stages.json: marks a multi-stage ensemble and lists its stages in order. */
export interface StagesFile {
  format: 1;
  name: string;
  stages: StageSpec[];
}

/** What a stage's run reports once it has read where it stands (`planned`/`resuming` lines). */
type PlannedInfo = Parameters<NonNullable<RunOptions['onPlanned']>>[0];

interface PlannedStage extends StagePlan {
  created: boolean;
  /** Execution settings the config changed (none when re-opened from the directory). */
  changes: SettingChange[];
}

// status, summary and reproduce read only stages.json: the planner, the executors and Arrow/Parquet load on first use.

/** The stages of a multi-stage ensemble directory, or null for a single-stage one. */
export async function readStages(root: string): Promise<StagesFile | null> {
  const path = new EnsembleLayout(root).stagesFile;
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as StagesFile;
  } catch (cause) {
    throw new EnsembleError(`${path} is corrupt (not JSON): re-plan the ensemble`, { cause });
  }
}

/** Plans every stage in order (a later stage's size is its upstream's times its own points); re-opens planned ones. */
export async function planStages(config: Config, configText: string): Promise<PlannedStage[]> {
  const { upstreamOf, writePlan } = await import('../plan/write.js');
  const root = new EnsembleLayout(config.ensemble_dir);
  const stages = config.stages ?? [];
  await mkdir(root.root, { recursive: true });
  const planned: PlannedStage[] = [];
  const specs: StageSpec[] = [];
  for (const stage of stages) {
    const spec = stage.stage;
    if (!spec) throw new EnsembleError(`${config.source}: stage without its place in the chain`);
    const upstream = upstreamOf(spec, stage.ensemble_dir, planned);
    planned.push({ name: spec.name, ...(await writePlan(stage, configText, upstream)) });
    specs.push(spec);
  }
  const file: StagesFile = { format: 1, name: config.name, stages: specs };
  await writeFileAtomic(root.config, configText);
  await writeFileAtomic(root.stagesFile, JSON.stringify(file, null, 2) + '\n');
  return planned;
}

async function openStages(root: string, file: StagesFile): Promise<PlannedStage[]> {
  const layout = new EnsembleLayout(root);
  return Promise.all(file.stages.map(async (s) => ({ name: s.name, ...(await readPlan(layout.stageDir(s.name))), created: false, changes: [] })));
}

/**
 * Runs the stages. Locally one after the other; on a batch scheduler all at once: each stage submits its chunks
 * as soon as its upstream has submitted, with a job dependency on the upstream's jobs (afterany/afterok), so the
 * chain proceeds on the cluster even if this controller dies.
 */
async function runStages(root: string, stages: PlannedStage[], opts: RunOptions): Promise<RunResult> {
  const { runPlanned } = await import('./planned.js');
  const type = opts.executor ?? stages[0].plan.executor.type;
  // progress and submissions name their stage (the stages of a batch run report at once)
  const stageOpts = (s: PlannedStage): RunOptions => ({
    ...opts,
    onProgress: opts.onProgress && ((p) => opts.onProgress?.({ ...p, stage: s.name })),
    onSubmit: opts.onSubmit && ((sub) => opts.onSubmit?.({ ...sub, label: `${s.name}/${sub.label}` })),
  });
  if (type === 'local') {
    for (const s of stages) {
      if (opts.signal?.aborted) break;
      await runPlanned(s.layout, s.plan, s.created, stageOpts(s));
    }
  } else {
    // one stage failing stops them all (a downstream stage must not wait for an upstream that will never finish)
    const stop = new AbortController();
    if (opts.signal?.aborted) stop.abort();
    opts.signal?.addEventListener('abort', () => stop.abort());
    const started = new Map<string, Promise<string[]>>();
    const settled = new Set<string>();
    const runs: Array<Promise<RunResult>> = [];
    // the stages are ready at once: their `planned`/`resuming` lines in stage order, not in the order they got there
    const planned = new StageOrder<PlannedInfo>((p) => opts.onPlanned?.(p));
    for (const [i, s] of stages.entries()) {
      let resolve: (ids: string[]) => void = () => undefined;
      const begun = new Promise<string[]>((res) => (resolve = res));
      started.set(s.name, begun);
      const up = s.plan.upstream;
      const upStarted = up ? started.get(up.stage) : undefined;
      const after = upStarted && up ? upStarted.then((jobIds): Dependency => ({ kind: up.depend, jobIds })) : undefined;
      const upstream = up ? upstreamWatch(s, stages.find((u) => u.name === up.stage) as PlannedStage, settled) : undefined;
      const onPlanned = (p: PlannedInfo) => planned.say(i, p);
      const run = runPlanned(s.layout, s.plan, s.created, { ...stageOpts(s), signal: stop.signal, onPlanned }, { after, onStarted: resolve, upstream });
      // ended (done, failed or stopped): the downstream stages stop waiting for it; an upstream that stopped before it
      // submitted leaves them aborted, so they submit nothing without their dependency
      run.catch(() => stop.abort()).finally(() => {
        settled.add(s.name);
        resolve([]);
        planned.end(i);
      });
      runs.push(run);
    }
    const outcomes = await Promise.allSettled(runs);
    const failed = outcomes.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
  return collectStages(root);
}

/**
 * What stages running at once report, passed on in stage order (pure): stage i's report waits until every stage
 * before it has made its own or ended without one, so the lines they print come in the order the stages are listed,
 * whichever stage is ready first (on the local executor they run, and report, one after the other).
 */
export class StageOrder<T> {
  private next = 0;
  /** Reports held until their turn; null: the stage ended without one. */
  private readonly held = new Map<number, T | null>();

  constructor(private readonly pass: (report: T) => void) {}

  /** Stage `i`'s report: passed on now if every stage before it is through, else when they are. */
  say(i: number, report: T): void {
    this.hold(i, report);
  }

  /** Stage `i` ended: if it never reported, the stages after it no longer wait for it. */
  end(i: number): void {
    this.hold(i, null);
  }

  private hold(i: number, report: T | null): void {
    if (i < this.next || this.held.has(i)) return;
    this.held.set(i, report);
    while (this.held.has(this.next)) {
      const r = this.held.get(this.next);
      this.held.delete(this.next++);
      if (r !== null && r !== undefined) this.pass(r);
    }
  }
}

/** How stage `s` sees its upstream `u` while both run on a batch scheduler (see UpstreamWatch). */
function upstreamWatch(s: PlannedStage, u: PlannedStage, settled: Set<string>): UpstreamWatch {
  const key = upstreamTaskParam(u.name);
  let upstreamOf: Map<number, number> | null = null;
  return {
    settled: () => settled.has(u.name),
    async fixed(tasks) {
      upstreamOf ??= new Map((await readTaskTable(s.layout)).map((r) => [r.id, Number(r.params[key])]));
      const finals = await readFinals(u.layout.resultsDir);
      return tasks.filter((t) => finals.get(upstreamOf?.get(t) ?? -1)?.status === 'done');
    },
  };
}

/** `arrayflow run` of a multi-stage config. */
export async function runStagedConfig(config: Config, configText: string, opts: RunOptions): Promise<RunResult> {
  if (opts.host) throw new UsageError(`host ${opts.host}: multi-stage ensembles cannot be submitted over SSH yet; run ${config.source} on the login node`);
  const stages = await planStages(config, configText);
  reportSettings(stages, opts);
  return runStages(config.ensemble_dir, stages, opts);
}

/** `arrayflow resume` of a multi-stage ensemble directory. */
export async function resumeStages(root: string, file: StagesFile, opts: RunOptions): Promise<RunResult> {
  return runStages(root, await openStages(root, file), opts);
}

/**
 * Collects every stage's dataset, then the root's: one row per task of every stage, with `stage` and `stage_task`
 * (the task's id in stages/<stage>/) in front; `task_id` numbers the rows across stages. Its files are the first
 * stage's `dataset` (every stage has the config's), or `over.formats`.
 */
export async function collectStages(root: string, over: CollectOverrides = {}): Promise<RunResult> {
  const file = await readStages(root);
  if (!file) throw new EnsembleError(`${root} is not a multi-stage ensemble (no stages.json)`);
  const [{ buildDataset }, { writeDataset }, { datasetWriters }, { PARAMS_METADATA_KEY }, { collectEnsemble, datasetOf }] = await Promise.all([
    import('../collect/build-dataset.js'),
    import('../collect/write-dataset.js'),
    import('../collect/writers.js'),
    import('../collect/import.js'),
    import('./collect-plan.js'),
  ]);
  const layout = new EnsembleLayout(root);
  const rows: TaskRow[] = [];
  const finals = new Map<number, TaskRecord>();
  const names = ['stage', 'stage_task'];
  const totals = { total: 0, done: 0, failed: 0, pending: 0, cancelled: 0, badLines: 0 };
  const stages = await openStages(root, file);
  for (const s of stages) for (const n of s.plan.param_names) if (!names.includes(n)) names.push(n);
  for (const s of stages) {
    const r = await collectEnsemble(s.layout, s.plan, over);
    const own = await readFinals(s.layout.resultsDir);
    for (const k of ['total', 'done', 'failed', 'pending', 'cancelled', 'badLines'] as const) totals[k] += r[k];
    const stageRows = await readTaskTable(s.layout);
    placeRows(stageRows, pointBlocks(s.plan));
    for (const t of stageRows) {
      const id = rows.length;
      const params: TaskRow['params'] = { stage: s.name, stage_task: t.id, ...t.params };
      const found = own.get(t.id);
      // an interrupted attempt is no row (the task is pending): records/record.ts endsTask
      const rec = endsTask(found) ? found : undefined;
      if (rec) {
        // lineage that is a parameter of an earlier stage (`coarse.task`) goes in that parameter's column
        let result: TaskRecord['result'] = null;
        for (const [k, v] of Object.entries(rec.result ?? {})) {
          if (k.includes('.') && names.includes(k) && v !== null) params[k] = v;
          else (result ??= {})[k] = v;
        }
        finals.set(id, { ...rec, task: id, result });
      }
      rows.push({ id, batch: t.batch, seed: t.seed, params, point: t.point, replicate: t.replicate });
    }
  }
  const table = buildDataset(rows, finals, names);
  // which columns are parameters (summary --by), as an imported dataset lists them
  table.schema.metadata.set(PARAMS_METADATA_KEY, JSON.stringify(names));
  // the provenance of every stage, which the Parquet writer copies into the file's key-value metadata
  const manifests = await Promise.all(stages.map((s) => readManifest(s.layout)));
  for (const [k, v] of datasetMetadata(manifests.filter((m) => m !== null))) table.schema.metadata.set(k, v);
  const files = await writeDataset(table, layout, datasetWriters(datasetOf(stages[0]?.plan, over)));
  return { ensembleDir: root, ...totals, ...files };
}
