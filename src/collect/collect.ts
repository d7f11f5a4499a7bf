// One collection pass over an ensemble directory: task table + record files -> dataset.parquet + dataset.csv.
import type { Table } from 'apache-arrow';
import { EnsembleError } from '../errors.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { TaskRecord } from '../records/record.js';
import { readTaskTable } from '../plan/tasks.js';
import type { TaskRow } from '../plan/tasks.js';
import { buildDataset } from './build-dataset.js';
import { readRecordFiles } from '../records/read.js';
import { selectFinal } from '../records/select-final.js';
import { writeDataset } from './write-dataset.js';
import type { DatasetFiles } from './writers.js';

export interface CollectOptions {
  /** Also write rows for tasks without a final record yet (status "pending"). */
  includePending?: boolean;
}

export interface CollectResult {
  /** Rows written (tasks with a final record, plus pending ones with `includePending`). */
  rows: number;
  done: number;
  failed: number;
  /** Malformed complete lines across all record files. */
  badLines: number;
  /** The dataset file of each format. */
  files: DatasetFiles;
  /** Each task's final record (what the rows were built from). */
  finals: Map<number, TaskRecord>;
}

async function readTasks(layout: EnsembleLayout): Promise<TaskRow[]> {
  try {
    return await readTaskTable(layout);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new EnsembleError(`no task table at ${layout.tasks} — is ${layout.root} an ensemble directory? Run \`arrayflow plan\` first`, {
      cause: e,
    });
  }
}

/** The dataset table and the counts of the result, from the task table and the record files. */
async function buildTable(layout: EnsembleLayout, paramNames: string[], opts: CollectOptions): Promise<{ table: Table } & Omit<CollectResult, 'rows' | 'files'>> {
  const [tasks, { records, bad }] = await Promise.all([readTasks(layout), readRecordFiles(layout.resultsDir)]);
  const finals = selectFinal(records);
  const table = buildDataset(tasks, finals, paramNames, opts);
  let done = 0;
  let failed = 0;
  for (const t of tasks) {
    const s = finals.get(t.id)?.status;
    if (s === 'done') done++;
    else if (s === 'failed') failed++;
  }
  return { table, done, failed, badLines: bad.length, finals };
}

/**
 * Reads `plan/tasks.bin` and `results/*.ndjson` of the ensemble, selects each task's final record
 * and (re)writes its dataset files. Idempotent: the same records give byte-identical files.
 */
export async function collect(layout: EnsembleLayout, paramNames: string[], opts: CollectOptions = {}): Promise<CollectResult> {
  // Built in its own call so that the records and task rows are garbage once the table exists: the
  // writing (Parquet in wasm memory, the CSV thread) then needs no more memory than they took.
  const { table, ...counts } = await buildTable(layout, paramNames, opts);
  const files = await writeDataset(table, layout);
  return { rows: table.numRows, ...counts, files };
}
