// Worker thread of writeDataset: renders the CSV and writes it under a temp name while the main thread encodes the Parquet.
import { parentPort, workerData } from 'node:worker_threads';
import { renderCsvText, type CsvBatch } from './csv-text.js';
import { coalesce, writeTemp } from './temp-file.js';

/** What writeDataset posts as workerData; the worker answers with the temp name (a failure is its uncaught error). */
export interface CsvJob {
  path: string;
  names: string[];
  batches: CsvBatch[];
}

const job = workerData as CsvJob;
parentPort?.postMessage(await writeTemp(job.path, coalesce(renderCsvText(job.names, job.batches))));
