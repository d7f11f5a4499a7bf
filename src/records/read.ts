// Reading every record file in results/ (each appended by a single writer) into records and a list of bad lines.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EnsembleError } from '../errors.js';
import type { TaskRecord } from './record.js';
import { parseRecordText } from './parse.js';
import { selectFinal } from './select-final.js';

/** A complete line of a record file that is not a valid record. */
export interface BadLine {
  file: string;
  line: number;
}

// Enough parallel reads to hide shared-filesystem latency without exhausting file descriptors.
const READ_CONCURRENCY = 16;

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

async function readOne(path: string): Promise<{ records: TaskRecord[]; bad: BadLine[] }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    // A file listed a moment ago may be gone (an operator cleaning up): nothing to collect from it.
    if (isNotFound(e)) return { records: [], bad: [] };
    throw new EnsembleError(`cannot read record file ${path}: ${(e as Error).message}`, { cause: e });
  }
  // Decode only the terminated part, so a torn multi-byte character in the tail cannot matter.
  const end = buf.lastIndexOf(0x0a);
  const { records, badLines } = parseRecordText(buf.toString('utf8', 0, end + 1));
  return { records, bad: badLines.map((line) => ({ file: path, line })) };
}

/**
 * Reads every `*.ndjson` record file directly inside `resultsDir` (a missing directory means no
 * records yet). Records come back in file-name order, then line order; bad lines are listed, not fatal.
 */
export async function readRecordFiles(resultsDir: string): Promise<{ records: TaskRecord[]; bad: BadLine[] }> {
  let names: string[];
  try {
    const entries = await readdir(resultsDir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && e.name.endsWith('.ndjson')).map((e) => e.name);
  } catch (e) {
    if (isNotFound(e)) return { records: [], bad: [] };
    throw new EnsembleError(`cannot list record files in ${resultsDir}: ${(e as Error).message}`, { cause: e });
  }
  names.sort();
  const parts: Array<{ records: TaskRecord[]; bad: BadLine[] }> = new Array(names.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      parts[i] = await readOne(join(resultsDir, names[i]));
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
  const records: TaskRecord[] = [];
  const bad: BadLine[] = [];
  for (const p of parts) {
    for (const r of p.records) records.push(r);
    for (const b of p.bad) bad.push(b);
  }
  return { records, bad };
}

/** Each task's final record, from every record file in `resultsDir` (see {@link selectFinal}). */
export async function readFinals(resultsDir: string): Promise<Map<number, TaskRecord>> {
  return selectFinal((await readRecordFiles(resultsDir)).records);
}
