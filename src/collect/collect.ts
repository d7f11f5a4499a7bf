// One collection pass over an ensemble directory: task table + record files -> dataset.parquet (+ .csv, .h5), streamed in batches of rows.
import type { Table } from './arrow.js';
import type { DatasetSpec } from '../config/types.js';
import { EnsembleError } from '../errors.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { type TaskRecord, endsTask } from '../records/record.js';
import { datasetMetadata, readManifest } from '../plan/manifest.js';
import { readTaskCount, readTaskRange } from '../plan/tasks.js';
import type { TaskRow } from '../plan/tasks.js';
import { type PointBlock, placeRows } from '../plan/points.js';
import { BatchBuilder, ColumnPlanner, type DatasetColumns } from './build-dataset.js';
import { type FinalIndex, readFinalIndex } from '../records/final-index.js';
import { writeDatasetStream } from './write-dataset.js';
import { datasetWriters, type DatasetFiles } from './writers.js';

export interface CollectOptions {
  /** Also write rows for tasks without a final record yet (status "pending"). */
  includePending?: boolean;
  /** Called with each row written, in task-id order (the failures log is written from these). */
  onRow?: (row: TaskRow, rec: TaskRecord | undefined) => void;
  /** The plan's point blocks (src/plan/points.ts pointBlocks), for the `point` and `replicate` columns (null without). */
  points?: readonly PointBlock[];
  /** The files to write (default: parquet and csv, snappy). */
  dataset?: DatasetSpec;
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
}

// Rows per batch: the column values of about this many rows are in memory at once
// (a quarter of a Parquet row group, whose rows wait in wasm memory as compact Arrow arrays).
const BATCH_ROWS = 32 * 1024;
// Tasks whose final records are read at a time: few enough that they are garbage before the next young-generation GC.
const READ_ROWS = 4 * 1024;

async function readCount(layout: EnsembleLayout): Promise<number> {
  try {
    return await readTaskCount(layout);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new EnsembleError(`no task table at ${layout.tasks} — is ${layout.root} an ensemble directory? Run \`arrayflow plan\` first`, {
      cause: e,
    });
  }
}

/** The dataset's columns: every row's parameters and result shape, read before the first batch is built. */
async function planColumns(layout: EnsembleLayout, index: FinalIndex, paramNames: string[], included: (t: number) => boolean): Promise<DatasetColumns> {
  const planner = new ColumnPlanner(paramNames, index.shapes);
  for (let from = 0; from < index.tasks; from += BATCH_ROWS) {
    for (const row of await readTaskRange(layout, from, Math.min(index.tasks, from + BATCH_ROWS))) {
      if (included(row.id)) planner.add(row, index.tags[row.id]);
    }
  }
  return planner.plan();
}

/**
 * The dataset's rows as tables of BATCH_ROWS rows (the last one shorter; at least one table, maybe
 * empty, so the files always have the schema). Equal-sized batches, a whole number of them per row
 * group, make the same Parquet pages as one table of all the rows would. Records are read READ_ROWS
 * tasks at a time and go into the batch's columns at once: they die young.
 */
async function* batches(layout: EnsembleLayout, index: FinalIndex, cols: DatasetColumns, opts: CollectOptions, included: (t: number) => boolean): AsyncGenerator<Table> {
  const builder = new BatchBuilder(cols, BATCH_ROWS);
  let any = false;
  for (let from = 0; from < index.tasks; from += READ_ROWS) {
    const to = Math.min(index.tasks, from + READ_ROWS);
    const [range, finals] = await Promise.all([readTaskRange(layout, from, to), index.read(from, to)]);
    if (opts.points) placeRows(range, opts.points);
    for (const row of range) {
      if (!included(row.id)) continue;
      // an interrupted attempt is no row of its own: the task is pending (records/record.ts endsTask)
      const found = finals[row.id - from];
      const rec = endsTask(found) ? found : undefined;
      opts.onRow?.(row, rec);
      builder.add(row, rec);
      if (builder.length === BATCH_ROWS) {
        any = true;
        yield builder.build();
      }
    }
  }
  if (builder.length > 0 || !any) yield builder.build();
}

/** The dataset's provenance metadata, from the ensemble's manifest (none without one). */
async function readMetadata(layout: EnsembleLayout): Promise<Map<string, string>> {
  const manifest = await readManifest(layout);
  return manifest ? datasetMetadata([manifest]) : new Map();
}

/** `tables` with `meta` in their schema's metadata, which the Parquet writer copies into the file's key-value metadata. */
async function* withMetadata(tables: AsyncIterable<Table>, meta: Map<string, string>): AsyncGenerator<Table> {
  for await (const table of tables) {
    for (const [k, v] of meta) table.schema.metadata.set(k, v);
    yield table;
  }
}

/**
 * Reads `plan/tasks.bin` and `results/*.ndjson` of the ensemble, selects each task's final record
 * and (re)writes its dataset files. Idempotent: the same records give byte-identical files. Memory
 * stays flat in the number of tasks but for an index of ~48 bytes a task: a first pass over the
 * record files locates each task's final record, then the rows are read back, built and written
 * in batches (Parquet row groups, CSV chunks).
 */
export async function collect(layout: EnsembleLayout, paramNames: string[], opts: CollectOptions = {}): Promise<CollectResult> {
  const tasks = await readCount(layout);
  const index = await readFinalIndex(layout.resultsDir, tasks);
  const included = (t: number): boolean => opts.includePending === true || index.has(t);
  const cols = await planColumns(layout, index, paramNames, included);
  const files = await writeDatasetStream(withMetadata(batches(layout, index, cols, opts, included), await readMetadata(layout)), layout, datasetWriters(opts.dataset));
  const rows = opts.includePending === true ? tasks : index.ended;
  return { rows, done: index.doneTasks, failed: index.failedTasks, badLines: index.bad, files };
}
