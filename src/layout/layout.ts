// Owns every path inside an ensemble directory; used on the submit host and on the compute node alike.
import { basename, join } from 'node:path';

/**
 * The file extension of each dataset format: HDF5's customary `.h5`, else the format's name. Keyed by the formats of
 * config/types.ts (DATASET_FORMATS) without importing them, as layout is below config: a format added there and not
 * here fails to compile where its path is asked for.
 */
const DATASET_EXTENSIONS = { parquet: 'parquet', csv: 'csv', hdf5: 'h5' } as const;

export class EnsembleLayout {
  constructor(readonly root: string) {}

  get config(): string { return join(this.root, 'config.yaml'); }
  get manifest(): string { return join(this.root, 'manifest.json'); }
  get journal(): string { return join(this.root, 'journal.ndjson'); }
  get lock(): string { return join(this.root, 'controller.lock'); }
  /** The last `arrayflow cancel` of the ensemble and the controller it stops (journal/cancel.ts). */
  get cancelRequest(): string { return join(this.root, 'cancel.json'); }

  /** A multi-stage ensemble's list of stages (docs/stages.md); each stage is an ensemble directory of its own. */
  get stagesFile(): string { return join(this.root, 'stages.json'); }
  stageDir(name: string): string { return join(this.root, 'stages', name); }

  get planDir(): string { return join(this.root, 'plan'); }
  /** The task table (binary, fixed-stride rows, ids 0..N-1; see plan/tasks.ts): the only place parameter values live. */
  get tasks(): string { return join(this.planDir, 'tasks.bin'); }
  /** The plan's summary: task count, chunks, executor, paths captured at plan time. */
  get planFile(): string { return join(this.planDir, 'plan.json'); }
  get scriptsDir(): string { return join(this.planDir, 'scripts'); }
  /** The rendered script of a submission (`0003` for chunk 3, `r1` for the first resubmission). */
  script(label: string, ext: string): string {
    return join(this.scriptsDir, `chunk-${label}.${ext}`);
  }

  /** Record files: one per writer (a local worker, an array element), appended by that writer only. */
  get resultsDir(): string { return join(this.root, 'results'); }
  recordFile(writer: string): string { return join(this.resultsDir, `${writer}.ndjson`); }
  /** Start lines of an array element's runner (records/starts.ts): `started/<element name>.ndjson` (elementName), beside no record file reader. */
  get startsDir(): string { return join(this.root, 'started'); }
  startsFile(name: string): string { return join(this.startsDir, `${name}.ndjson`); }

  /** Claim files of a submission's blocks (`0003`, `r1`): which element runs which block (records/claims.ts). */
  claimsDir(label: string): string { return join(this.root, 'claims', label); }
  claimFile(label: string, name: string): string { return join(this.claimsDir(label), name); }

  /** The inputs of a copy on a cluster (copy/<i>/, link/<i>/, dir/): its plan's runtime.inputs point here. */
  get inputsDir(): string { return join(this.root, 'inputs'); }
  /** arrayflow itself, shipped into a copy on a cluster (package.json, dist/, node_modules/). */
  get shippedDir(): string { return join(this.root, '.arrayflow'); }

  get outputsDir(): string { return join(this.root, 'outputs'); }
  outputs(task: number): string { return join(this.outputsDir, String(task)); }

  get logsDir(): string { return join(this.root, 'logs'); }
  /** Scheduler stdout/stderr of array elements. */
  get jobLogsDir(): string { return join(this.logsDir, 'jobs'); }
  get failuresLog(): string { return join(this.logsDir, 'failures.ndjson'); }
  /** The controller's log: JSON lines with levels (src/util/log.ts, docs/watching.md). */
  get controllerLog(): string { return join(this.logsDir, 'controller.log'); }
  /** One human-readable line per attempt of a task, appended by the controller (src/records/stats.ts). */
  get taskStats(): string { return join(this.logsDir, 'tasks.stats'); }
  /** The simulations' kept stdout and stderr (config `logs`), written by the task wrapper before the task's record. */
  get taskLogsDir(): string { return join(this.logsDir, 'tasks'); }
  /** `logs/tasks/12.1.stderr`: the last 1 MiB of task 12's stderr in attempt 1. */
  taskLog(task: number, attempt: number, stream: 'stdout' | 'stderr'): string {
    return join(this.taskLogsDir, `${task}.${attempt}.${stream}`);
  }

  /** `dataset.parquet`, `dataset.csv`, `dataset.h5`: the dataset in one output format (see collect/writers.ts). */
  dataset(format: keyof typeof DATASET_EXTENSIONS): string { return join(this.root, `dataset.${DATASET_EXTENSIONS[format]}`); }
  get datasetParquet(): string { return this.dataset('parquet'); }
  /** The live dataset while an ensemble runs: parts, their checkpoint and the follower's lock (see docs/watching.md). */
  get datasetDir(): string { return join(this.root, 'dataset'); }
  /** `part-00012` -> dataset/part-00012.parquet (and .csv). */
  datasetPart(name: string, format: string): string { return join(this.datasetDir, `${name}.${format}`); }
  get datasetParts(): string { return join(this.datasetDir, 'parts.json'); }
  get followLock(): string { return join(this.datasetDir, 'follow.lock'); }
  /** The HTML report (`arrayflow report`, docs/report.md). */
  get report(): string { return join(this.root, 'report.html'); }
}

/**
 * The name of an array element: `e<element>-a<attempt>`, or for a listed resubmission `r<list file name>-e<element>`.
 * Unique within an ensemble (elements are numbered across the chunks, each listed resubmission has a list of its own),
 * it names the element's starts file (records/starts.ts) as it is: the runner and the controller do not see the job id
 * alike on every scheduler (Torque gives the runner only its subjob's PBS_JOBID, `4711[3].srv`, where qsub printed the
 * array's `4711[].srv` to the controller). A requeued element runs again under the same name; its runner's header
 * starts the lines of its new run.
 */
export function elementName(element: number, attempt: number, tasksFile?: string): string {
  return tasksFile ? `r${basename(tasksFile, '.json')}-e${element}` : `e${element}-a${attempt}`;
}

/**
 * The writer name of an array element's record file: {@link elementName} and `-<job id>`; `self` is the element's job
 * id as its runner has it (`<array job id>_<index>`), or `pid<pid>` without one, made a file name. Only the runner
 * names a file with it: the controller reads every record file there is.
 */
export function elementWriter(element: number, attempt: number, self: string, tasksFile?: string): string {
  return `${elementName(element, attempt, tasksFile)}-${self.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}
