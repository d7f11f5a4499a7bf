// Reads what the HTML report shows from an ensemble directory (each stage of a multi-stage one): plan, task rows, final records, submissions.
import type { ExecutorType } from '../config/types.js';
import { journalSubmissions, type Submission } from '../journal/submissions.js';
import { EnsembleLayout } from '../layout/layout.js';
import { readPlan } from '../plan/read.js';
import { type TaskRow, readTaskTable } from '../plan/tasks.js';
import { readFinals } from '../records/read.js';
import { type TaskRecord, endsTask } from '../records/record.js';
import { readStages } from '../run/stages.js';
import { type Counts, countFinals } from '../run/types.js';
import { toolVersion } from '../util/paths.js';

/** One ensemble directory of the report: the ensemble itself, or one stage of a multi-stage ensemble. */
export interface ReportStage {
  /** The stage's name; null for a single-stage ensemble. */
  name: string | null;
  ensembleDir: string;
  executor: ExecutorType;
  /** Tasks per array element, and the plan's elements. */
  bundle: number;
  elements: number;
  counts: Counts;
  /** The parameter columns of its task rows, in order. */
  paramNames: string[];
  tasks: TaskRow[];
  /** Each task's final record that ends it (done or failed); a task without one is pending. */
  finals: Map<number, TaskRecord>;
  /** The array jobs the journal records (`submitted` events); none on the local executor. */
  submissions: Submission[];
}

/** Everything the report is made from: read once, then turned into charts and tables without I/O. */
export interface ReportData {
  name: string;
  /** The directory given (the root of a multi-stage ensemble). */
  ensembleDir: string;
  /** ISO-8601 time the data was read. */
  readAt: string;
  version: string;
  stages: ReportStage[];
}

async function readStage(ensembleDir: string, name: string | null): Promise<{ planName: string; stage: ReportStage }> {
  const { layout, plan } = await readPlan(ensembleDir);
  const [tasks, all, submissions] = await Promise.all([readTaskTable(layout), readFinals(layout.resultsDir), journalSubmissions(layout)]);
  // an interrupted final record leaves its task pending: it has no outcome to show
  const finals = new Map([...all].filter(([, r]) => endsTask(r)));
  const stage: ReportStage = {
    name,
    ensembleDir: layout.root,
    executor: plan.executor.type,
    bundle: plan.bundle,
    elements: plan.elements,
    counts: countFinals(plan, finals),
    paramNames: plan.param_names,
    tasks,
    finals,
    submissions,
  };
  return { planName: plan.name, stage };
}

/** Reads an ensemble directory (every stage of a multi-stage one) for the report. Reads only; safe while it runs. */
export async function readReportData(ensembleDir: string): Promise<ReportData> {
  const staged = await readStages(ensembleDir);
  const readAt = new Date().toISOString();
  if (!staged) {
    const { planName, stage } = await readStage(ensembleDir, null);
    return { name: planName, ensembleDir, readAt, version: toolVersion(), stages: [stage] };
  }
  const layout = new EnsembleLayout(ensembleDir);
  const stages = await Promise.all(staged.stages.map(async (s) => (await readStage(layout.stageDir(s.name), s.name)).stage));
  return { name: staged.name, ensembleDir, readAt, version: toolVersion(), stages };
}
