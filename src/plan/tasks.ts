// The task table on disk: plan/tasks.bin, fixed-stride binary rows behind a JSON header, so a node
// reads its rows with one read and planning formats no numbers (JSON text of 10^7 doubles took longer
// than the whole planning budget; see docs/performance.md).
import { type FileHandle, copyFile, open, readFile, rename, unlink } from 'node:fs/promises';
import type { ParamSpec } from '../config/types.js';
import { EnsembleError } from '../errors.js';
import { taskSeeds } from '../sampling/hash.js';
import { type Design, pointBuilder } from '../sampling/map.js';
import { writeFileAtomic } from '../util/fs.js';
import type { EnsembleLayout } from '../layout/layout.js';

/** One row of the task table (plan/tasks.bin). */
export interface TaskRow {
  id: number;
  batch: number;
  /** Deterministic per-task seed ({task_seed} placeholder). */
  seed: number;
  params: Record<string, string | number | boolean>;
  /** The design point the task samples and which of its replicates it is (set from the plan by src/plan/points.ts placeRows). */
  point?: number;
  replicate?: number;
}

type Value = string | number | boolean;

/**
 * A parameter's column. `number`: a float64 per row (-0, NaN and ±Infinity included). `dict`: the
 * row holds an index into `values` (strings, booleans and mixed lists; JSON in the header keeps
 * them exact, numbers of a mixed list as JSON does). `const`: the same value in every row, no bytes.
 */
export type TaskColumn =
  | { name: string; type: 'number' }
  | { name: string; type: 'dict'; values: Value[] }
  | { name: string; type: 'const'; value: Value };

/** Rows of the table in columns: task ids first .. first + seeds.length - 1. */
export interface TaskTable {
  /** The parameters, in parameter order. */
  columns: TaskColumn[];
  first: number;
  seeds: Float64Array;
  batches: Float64Array;
  /** One per column that is not const, in column order: the numbers, or the indexes into a dict column's values. */
  data: Float64Array[];
}

/*
 * plan/tasks.bin, numbers little-endian:
 *
 *   offset 0   8 bytes   "AFTASKS1"
 *          8   float64   N, the number of rows (fixed width, so `extend` rewrites it in place in its copy)
 *         16   uint32    H, byte length of the header
 *         20   H bytes   header: UTF-8 JSON {"columns": [TaskColumn, ...]}
 *     20 + H   N rows of `stride` = 8 × (2 + columns not const) bytes, row i = task i:
 *              float64 task seed, float64 batch, then a float64 per column that is not const
 */
const MAGIC = 'AFTASKS1';
const PREAMBLE = 20;

/** What a reader needs to find row i: at dataStart + i × stride. */
interface TableHead {
  columns: TaskColumn[];
  rows: number;
  dataStart: number;
  stride: number;
}

const strideOf = (columns: TaskColumn[]): number => 8 * (2 + columns.filter((c) => c.type !== 'const').length);

/** The columns of a design's parameters: `values` parameters are dict columns, their index is what the design holds. */
function taskColumns(parameters: Record<string, ParamSpec>): TaskColumn[] {
  return Object.entries(parameters).map(([name, spec]): TaskColumn => {
    if (spec.kind === 'const') return { name, type: 'const', value: spec.value };
    if (spec.kind === 'values') return { name, type: 'dict', values: spec.values };
    return { name, type: 'number' };
  });
}

/**
 * Tasks first .. first + design.count - 1 of a design sampled from `parameters`: task seeds derived
 * from the sampling seed, batch = id / batchSize.
 */
export function designTable(parameters: Record<string, ParamSpec>, design: Pick<Design, 'count' | 'columns'>, seed: number, batchSize: number, first: number): TaskTable {
  const batches = new Float64Array(design.count);
  for (let i = 0; i < batches.length; i++) batches[i] = Math.floor((first + i) / batchSize);
  return { columns: taskColumns(parameters), first, seeds: taskSeeds(seed, first, design.count), batches, data: design.columns };
}

/**
 * The table of rows given as objects (ids 0..N-1 in order, the same parameters in each): a parameter
 * whose values are all numbers is a number column, any other a dict column of its values in first-seen order.
 */
export function rowsTable(rows: readonly TaskRow[]): TaskTable {
  const names = rows.length > 0 ? Object.keys(rows[0].params) : [];
  rows.forEach((r, i) => {
    if (r.id !== i) throw new EnsembleError(`task table rows must have ids 0..N-1 in order; row ${i} has id ${r.id}`);
    if (Object.keys(r.params).length !== names.length) throw new EnsembleError(`task ${r.id} has other parameters than task 0`);
  });
  const columns: TaskColumn[] = [];
  const data = names.map((name) => {
    const col = new Float64Array(rows.length);
    if (rows.every((r) => typeof r.params[name] === 'number')) {
      rows.forEach((r, i) => (col[i] = r.params[name] as number));
      columns.push({ name, type: 'number' });
      return col;
    }
    const index = new Map<Value, number>();
    const values: Value[] = [];
    rows.forEach((r, i) => {
      const v = r.params[name];
      if (v === undefined) throw new EnsembleError(`task ${r.id} has no parameter "${name}"`);
      let k = index.get(v);
      if (k === undefined) {
        k = values.push(v) - 1;
        index.set(v, k);
      }
      col[i] = k;
    });
    columns.push({ name, type: 'dict', values });
    return col;
  });
  return { columns, first: 0, seeds: Float64Array.from(rows, (r) => r.seed), batches: Float64Array.from(rows, (r) => r.batch), data };
}

/** Writes the rows of `table` into `buf` from byte `at`, `stride` bytes each. */
function encodeRows(table: TaskTable, buf: Buffer, at: number, stride: number): void {
  const { seeds, batches, data } = table;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < seeds.length; i++) {
    let off = at + i * stride;
    view.setFloat64(off, seeds[i], true);
    view.setFloat64(off + 8, batches[i], true);
    off += 16;
    for (let j = 0; j < data.length; j++, off += 8) view.setFloat64(off, data[j][i], true);
  }
}

/** The bytes of tasks.bin holding exactly `table` (whose first id must be 0). */
export function encodeTaskTable(table: TaskTable): Buffer {
  if (table.first !== 0) throw new EnsembleError(`a task table starts at task 0, not ${table.first}`);
  const head = Buffer.from(JSON.stringify({ columns: table.columns }));
  const stride = strideOf(table.columns);
  const dataStart = PREAMBLE + head.length;
  // every byte is written below
  const buf = Buffer.allocUnsafe(dataStart + table.seeds.length * stride);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeDoubleLE(table.seeds.length, 8);
  buf.writeUInt32LE(head.length, 16);
  head.copy(buf, PREAMBLE);
  encodeRows(table, buf, dataStart, stride);
  return buf;
}

/** Writes plan/tasks.bin atomically (temp name + fsync + rename). */
export async function writeTaskTable(layout: EnsembleLayout, table: TaskTable): Promise<void> {
  await writeFileAtomic(layout.tasks, encodeTaskTable(table));
}

function corrupt(path: string, what: string): EnsembleError {
  return new EnsembleError(`${path} is not a valid task table (${what}): re-plan the ensemble`);
}

function isValue(v: unknown): v is Value {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function checkColumn(c: unknown): c is TaskColumn {
  if (typeof c !== 'object' || c === null) return false;
  const col = c as Record<string, unknown>;
  // "__proto__" would set the prototype of a row's params instead of a key
  if (typeof col.name !== 'string' || col.name === '__proto__') return false;
  if (col.type === 'number') return true;
  if (col.type === 'dict') return Array.isArray(col.values) && col.values.every(isValue);
  return col.type === 'const' && isValue(col.value);
}

/**
 * Reads and checks the preamble and header through `read(position, length)`; `size` is the file's
 * length, which must be exactly that of the rows the preamble announces.
 */
async function readHead(read: (pos: number, len: number) => Promise<Buffer>, size: number, path: string): Promise<TableHead> {
  if (size < PREAMBLE) throw corrupt(path, `${size} bytes, shorter than its preamble`);
  const pre = await read(0, PREAMBLE);
  if (pre.toString('latin1', 0, 8) !== MAGIC) throw corrupt(path, `no ${MAGIC} signature`);
  const rows = pre.readDoubleLE(8);
  const headLength = pre.readUInt32LE(16);
  if (!Number.isSafeInteger(rows) || rows < 0 || PREAMBLE + headLength > size) throw corrupt(path, 'bad preamble');
  let parsed: unknown;
  try {
    parsed = JSON.parse((await read(PREAMBLE, headLength)).toString('utf8'));
  } catch (cause) {
    throw new EnsembleError(`${path} is not a valid task table (its header is not JSON): re-plan the ensemble`, { cause });
  }
  const columns = (parsed as { columns?: unknown } | null)?.columns;
  if (!Array.isArray(columns) || !columns.every(checkColumn)) throw corrupt(path, 'bad column list in its header');
  const dataStart = PREAMBLE + headLength;
  const stride = strideOf(columns);
  if (size !== dataStart + rows * stride) {
    throw corrupt(path, `${size} bytes where ${rows} rows take ${dataStart + rows * stride}: cut short or overwritten`);
  }
  return { columns, rows, dataStart, stride };
}

/** Reads of exactly `len` bytes at `pos` of an open table. */
function reader(fh: FileHandle, path: string): (pos: number, len: number) => Promise<Buffer> {
  return async (pos, len) => {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    if (bytesRead !== len) throw corrupt(path, 'shorter than its header says');
    return buf;
  };
}

/** Rows first .. first + count - 1 from `buf`, which holds exactly those rows. */
function decodeRows(head: TableHead, buf: Buffer, first: number, count: number, path: string): TaskRow[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stored = head.columns.filter((c): c is Exclude<TaskColumn, { type: 'const' }> => c.type !== 'const');
  // one object literal per row, as sampling builds points: keyed stores took twice as long at a million rows
  let next = 0;
  const slot = head.columns.map((c) => (c.type === 'const' ? -1 : next++));
  const consts = head.columns.map((c) => (c.type === 'const' ? c.value : false));
  const build = pointBuilder(head.columns.map((c) => c.name), slot);
  const values: Value[] = new Array<Value>(stored.length);
  const rows = new Array<TaskRow>(count);
  for (let r = 0; r < count; r++) {
    const off = r * head.stride;
    for (let j = 0; j < stored.length; j++) {
      const c = stored[j];
      const x = view.getFloat64(off + 16 + 8 * j, true);
      if (c.type === 'number') values[j] = x;
      else {
        const v = c.values[x];
        if (v === undefined) throw corrupt(path, `task ${first + r}: ${x} is no index of the values of "${c.name}"`);
        values[j] = v;
      }
    }
    rows[r] = { id: first + r, batch: view.getFloat64(off + 8, true), seed: view.getFloat64(off, true), params: build(values, consts) };
  }
  return rows;
}

/**
 * Appends the rows of `table` (task ids from the table's current end on) under the same columns,
 * atomically: a copy grows and replaces the table, so a crash leaves the old table whole.
 */
export async function appendTaskTable(layout: EnsembleLayout, table: TaskTable): Promise<void> {
  const path = layout.tasks;
  const tmp = `${path}.tmp-${process.pid}`;
  await copyFile(path, tmp);
  try {
    const fh = await open(tmp, 'r+');
    try {
      const head = await readHead(reader(fh, path), (await fh.stat()).size, path);
      if (JSON.stringify(head.columns) !== JSON.stringify(table.columns)) {
        throw new EnsembleError(`${path} has other parameter columns than the design being added: re-plan the ensemble`);
      }
      // rows past `first` were appended by a command that died before it recorded them in plan.json: never run, replaced
      if (table.first > head.rows) throw new EnsembleError(`${path} holds ${head.rows} tasks; cannot add tasks from id ${table.first}`);
      const rows = Buffer.allocUnsafe(table.seeds.length * head.stride);
      encodeRows(table, rows, 0, head.stride);
      const end = head.dataStart + table.first * head.stride;
      await fh.write(rows, 0, rows.length, end);
      await fh.truncate(end + rows.length);
      const count = Buffer.alloc(8);
      count.writeDoubleLE(table.first + table.seeds.length);
      await fh.write(count, 0, 8, 8);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** The number of tasks in the table (its header only). */
export async function readTaskCount(layout: EnsembleLayout): Promise<number> {
  const path = layout.tasks;
  const fh = await open(path, 'r');
  try {
    return (await readHead(reader(fh, path), (await fh.stat()).size, path)).rows;
  } finally {
    await fh.close();
  }
}

/** Reads the rows of tasks [first, last) with one read after the header's. */
export async function readTaskRange(layout: EnsembleLayout, first: number, last: number): Promise<TaskRow[]> {
  if (last <= first) return [];
  const path = layout.tasks;
  const fh = await open(path, 'r');
  try {
    const read = reader(fh, path);
    const head = await readHead(read, (await fh.stat()).size, path);
    if (first < 0 || last > head.rows) throw new EnsembleError(`${path} holds tasks 0..${head.rows - 1}, not ${first}..${last - 1}: re-plan the ensemble`);
    return decodeRows(head, await read(head.dataStart + first * head.stride, (last - first) * head.stride), first, last - first, path);
  } finally {
    await fh.close();
  }
}

/**
 * The stored values of the parameters of tasks `ids` (in that order, repeats allowed), as a TaskTable holds them:
 * the numbers, or the indexes into a dict column's values. `extend --replicates` copies a point's values with these.
 */
export async function readTaskValues(layout: EnsembleLayout, ids: readonly number[]): Promise<Float64Array[]> {
  const path = layout.tasks;
  const buf = await readFile(path);
  const head = await readHead(async (pos, len) => buf.subarray(pos, pos + len), buf.length, path);
  const stored = (head.stride - 16) / 8;
  const data = Array.from({ length: stored }, () => new Float64Array(ids.length));
  ids.forEach((id, k) => {
    if (!(Number.isSafeInteger(id) && id >= 0 && id < head.rows)) throw new EnsembleError(`${path} holds tasks 0..${head.rows - 1}, not ${id}: re-plan the ensemble`);
    const off = head.dataStart + id * head.stride + 16;
    for (let j = 0; j < stored; j++) data[j][k] = buf.readDoubleLE(off + 8 * j);
  });
  return data;
}

/**
 * The task table held as its bytes (16 + 8 bytes a parameter, a task), rows decoded only when asked for: the live dataset
 * of a million tasks needs a few rows at a time, not a million row objects.
 */
export interface TaskRows {
  readonly rows: number;
  /** The rows of tasks `ids` (ascending), in that order. */
  of(ids: readonly number[]): TaskRow[];
}

/** Reads the task table's bytes once, for {@link TaskRows}. */
export async function openTaskRows(layout: EnsembleLayout): Promise<TaskRows> {
  const path = layout.tasks;
  const buf = await readFile(path);
  const head = await readHead(async (pos, len) => buf.subarray(pos, pos + len), buf.length, path);
  return {
    rows: head.rows,
    of(ids) {
      const out: TaskRow[] = [];
      // consecutive ids decode as one run
      for (let i = 0; i < ids.length; ) {
        let j = i + 1;
        while (j < ids.length && ids[j] === ids[j - 1] + 1) j++;
        const first = ids[i];
        if (!(Number.isSafeInteger(first) && first >= 0 && ids[j - 1] < head.rows)) throw new EnsembleError(`${path} holds tasks 0..${head.rows - 1}, not ${first}..${ids[j - 1]}: re-plan the ensemble`);
        const at = head.dataStart + first * head.stride;
        for (const row of decodeRows(head, buf.subarray(at, at + (j - i) * head.stride), first, j - i, path)) out.push(row);
        i = j;
      }
      return out;
    },
  };
}

/** Reads the whole task table. */
export async function readTaskTable(layout: EnsembleLayout): Promise<TaskRow[]> {
  const path = layout.tasks;
  const buf = await readFile(path);
  const head = await readHead(async (pos, len) => buf.subarray(pos, pos + len), buf.length, path);
  return decodeRows(head, buf.subarray(head.dataStart), 0, head.rows, path);
}
