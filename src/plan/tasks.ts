// The task table on disk: plan/tasks.ndjson plus a binary offset index, so a node reads only its own rows.
import { open, readFile, rename } from 'node:fs/promises';
import { EnsembleError } from '../errors.js';
import type { TaskRow } from '../records.js';
import type { EnsembleLayout } from './layout.js';

const ROWS_PER_WRITE = 16384;

/** Writes tasks.ndjson and tasks.idx (N+1 float64 LE byte offsets) atomically (temp name + rename). */
export async function writeTaskTable(layout: EnsembleLayout, rows: TaskRow[]): Promise<void> {
  const offsets = new Float64Array(rows.length + 1);
  const tmp = `${layout.tasks}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  let pos = 0;
  try {
    for (let start = 0; start < rows.length; start += ROWS_PER_WRITE) {
      const end = Math.min(rows.length, start + ROWS_PER_WRITE);
      const lines: string[] = new Array(end - start);
      for (let i = start; i < end; i++) {
        const line = JSON.stringify(rows[i]) + '\n';
        lines[i - start] = line;
        offsets[i] = pos;
        pos += Buffer.byteLength(line);
      }
      await fh.write(lines.join(''));
    }
    offsets[rows.length] = pos;
    await fh.sync();
  } finally {
    await fh.close();
  }
  const idxTmp = `${layout.tasksIndex}.tmp-${process.pid}`;
  const idx = await open(idxTmp, 'w');
  try {
    await idx.write(new Uint8Array(offsets.buffer));
    await idx.sync();
  } finally {
    await idx.close();
  }
  await rename(idxTmp, layout.tasksIndex);
  await rename(tmp, layout.tasks);
}

function parseRows(text: string, where: string): TaskRow[] {
  const rows: TaskRow[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      rows.push(JSON.parse(line) as TaskRow);
    } catch (cause) {
      throw new EnsembleError(`${where} is corrupt: a line is not JSON — re-plan the ensemble`, { cause });
    }
  }
  return rows;
}

/** Reads the rows of tasks [first, last) with two small reads (index, then one byte range). */
export async function readTaskRange(layout: EnsembleLayout, first: number, last: number): Promise<TaskRow[]> {
  if (last <= first) return [];
  const idx = await open(layout.tasksIndex, 'r');
  const bounds = new Float64Array(2);
  try {
    const a = new Float64Array(1);
    await idx.read(new Uint8Array(a.buffer), 0, 8, first * 8);
    bounds[0] = a[0];
    await idx.read(new Uint8Array(a.buffer), 0, 8, last * 8);
    bounds[1] = a[0];
  } finally {
    await idx.close();
  }
  const length = bounds[1] - bounds[0];
  const buf = Buffer.alloc(length);
  const fh = await open(layout.tasks, 'r');
  try {
    const { bytesRead } = await fh.read(buf, 0, length, bounds[0]);
    if (bytesRead !== length) throw new EnsembleError(`${layout.tasks} is shorter than its index: re-plan the ensemble`);
  } finally {
    await fh.close();
  }
  const rows = parseRows(buf.toString('utf8'), layout.tasks);
  if (rows.length !== last - first || rows[0]?.id !== first) {
    throw new EnsembleError(`${layout.tasks} does not match its index (wanted tasks ${first}..${last - 1})`);
  }
  return rows;
}

/** Reads the whole task table. */
export async function readTaskTable(layout: EnsembleLayout): Promise<TaskRow[]> {
  return parseRows(await readFile(layout.tasks, 'utf8'), layout.tasks);
}
