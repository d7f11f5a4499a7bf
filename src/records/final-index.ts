// Each task's final record located, not held: one streaming pass over the record files keeps where each task's final record is (file, byte offset), then finals are read back range by range.
import { isAscii } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EnsembleError } from '../errors.js';
import { parseRecordLine } from './line.js';
import { isTaskRecord } from './parse.js';
import type { TaskRecord } from './record.js';
import { ResultShapes } from './result-shape.js';
import { RunCounter, isRunSource } from './runs.js';
import { keysOfRecord, scanRecordLine, type RecordKeys } from './scan-record.js';
import { awaitsScheduler, compareKeys, compareRecords, rankOf, refine, type RecordKey } from './select-final.js';

// Bytes read at a time from one record file: a file of any size is read with this much memory (more only for a longer line).
const CHUNK_BYTES = 4 << 20;
// Record files read at once: enough to hide shared-filesystem latency, few enough to keep memory small.
const READ_CONCURRENCY = 8;
// Final records closer than this in one file are fetched with one read (bundles write neighbouring tasks side by side).
const GAP_BYTES = 64 << 10;

const enum State {
  None = 0,
  Done = 1,
  Failed = 2,
  /** The final record is `interrupted`: the task is pending (no row), owed another attempt. */
  Interrupted = 3,
}

/** Where a record is and how it ranks, for the few records kept outside the typed arrays (scheduler records). */
interface Located extends RecordKey {
  file: number;
  offset: number;
  length: number;
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * The final record of each task 0..tasks-1 as {@link selectFinal} would choose it, located in the
 * record files: per task a few numbers (about 60 bytes with its run count), so a million tasks take ~60 MB whatever
 * their records hold. Built at once by {@link readFinalIndex} (the collector), or line by line as
 * records arrive (the live dataset: watch/records.ts); records are read back with {@link read} and
 * {@link readTasks}. The files are append-only: a record stays where it was located.
 */
export class FinalIndex {
  /** The record files, by index. */
  readonly files: string[];
  private readonly fileIds = new Map<string, number>();
  /** Complete lines that are not a valid record. */
  bad = 0;
  private doneCount = 0;
  private failedCount = 0;
  private readonly file: Int32Array;
  private readonly offset: Float64Array;
  private readonly length: Int32Array;
  private readonly attempt: Float64Array;
  /** rankOf: -1 for an interrupted record (signed: as a byte it ranked above every other) */
  private readonly rank: Int8Array;
  private readonly end: Float64Array;
  private readonly state: Uint8Array;
  /** The result shapes of the records, by id. */
  readonly shapes = new ResultShapes();
  /** Per task, the shape id of its final record's result (0: none). */
  readonly tags: Int32Array;
  private readonly scheduler = new Map<number, Located>();
  /** Runs of each task's highest attempt: the `runs` of the records {@link read} returns. */
  private runs: RunCounter;
  /** Changes with every change of a task's row (and with {@link reset}): what was read back of the rows is current while it holds. */
  version = 0;

  // The line being offered: its text line[lineFrom, lineTo), or its record once parsed (ties need it).
  private readonly keys: RecordKeys = { task: 0, attempt: 0, status: 'done', source: undefined, start: NaN, end: Infinity, shape: 0 };
  private line = '';
  private lineFrom = 0;
  private lineTo = 0;
  private parsed: TaskRecord | undefined;

  constructor(
    readonly tasks: number,
    files: string[],
  ) {
    this.files = [];
    for (const f of files) this.fileId(f);
    this.file = new Int32Array(tasks).fill(-1);
    this.offset = new Float64Array(tasks);
    this.length = new Int32Array(tasks);
    this.attempt = new Float64Array(tasks);
    this.rank = new Int8Array(tasks);
    this.end = new Float64Array(tasks);
    this.state = new Uint8Array(tasks);
    this.tags = new Int32Array(tasks);
    this.runs = new RunCounter(tasks);
  }

  /** The index of record file `path`, added when new. */
  fileId(path: string): number {
    let id = this.fileIds.get(path);
    if (id === undefined) {
      id = this.files.push(path) - 1;
      this.fileIds.set(path, id);
    }
    return id;
  }

  /** Tasks whose final record is `done`. */
  get doneTasks(): number {
    return this.doneCount;
  }

  /** Tasks whose final record is `failed`. */
  get failedTasks(): number {
    return this.failedCount;
  }

  /** Tasks whose final record ends them with a row (done or failed). */
  get ended(): number {
    return this.doneCount + this.failedCount;
  }

  /** Whether the task has a final record that ends it with a row (done or failed; see endsTask). */
  has(task: number): boolean {
    return this.state[task] === State.Done || this.state[task] === State.Failed;
  }

  /**
   * Offers the line s[from, to), found in file `file` at byte `offset` (`length` bytes): read in
   * place when it is in the form our writers write (records/scan-record.ts), else parsed; a line
   * that is no record counts as bad, a blank one is skipped. Returns the task whose row it changed (its final
   * record, or that record's `runs` or scheduler reason), else -1.
   */
  offerLine(s: string, from: number, to: number, file: number, offset: number, length: number): number {
    this.parsed = undefined;
    if (scanRecordLine(s, from, to, this.shapes, this.keys)) {
      this.line = s;
      this.lineFrom = from;
      this.lineTo = to;
    } else {
      const text = s.slice(from, to);
      if (text.trim() === '') return -1;
      let value: unknown;
      try {
        value = parseRecordLine(text);
      } catch {
        value = undefined;
      }
      if (!isTaskRecord(value)) {
        this.bad++;
        return -1;
      }
      this.parsed = value;
      keysOfRecord(value, this.shapes, this.keys);
    }
    const changed = this.offer(file, offset, length);
    // not to hold the chunk's text once it is read
    this.line = '';
    return changed ? this.keys.task : -1;
  }

  /** The record of the line being offered. */
  private record(): TaskRecord {
    this.parsed ??= parseRecordLine(this.line.slice(this.lineFrom, this.lineTo)) as TaskRecord;
    return this.parsed;
  }

  /**
   * Offers the record of {@link keys}, at `offset` (`length` bytes without the newline) in file `file`; returns whether
   * the task's row changed (a new final record, a new run of its attempt, a better scheduler record for its reason).
   */
  private offer(file: number, offset: number, length: number): boolean {
    const k = this.keys;
    const t = k.task;
    if (t >= this.tasks) return false;
    let changed = isRunSource(k.source) && this.runs.addRun(t, k.attempt, k.start);
    const key: RecordKey = { attempt: k.attempt, rank: rankOf(k.status, k.source), end: k.end };
    if (this.wins(key, this.file[t] < 0 ? undefined : this.keyOf(t), () => this.readAt(this.file[t], this.offset[t], this.length[t], t))) {
      this.file[t] = file;
      this.offset[t] = offset;
      this.length[t] = length;
      this.attempt[t] = key.attempt;
      this.rank[t] = key.rank;
      this.end[t] = key.end;
      this.count(this.state[t], -1);
      this.state[t] = k.status === 'done' ? State.Done : k.status === 'interrupted' ? State.Interrupted : State.Failed;
      this.count(this.state[t], 1);
      this.tags[t] = k.shape;
      changed = true;
    }
    if (k.source === 'scheduler') {
      const s = this.scheduler.get(t);
      if (this.wins(key, s, () => this.readAt(s!.file, s!.offset, s!.length, t))) {
        this.scheduler.set(t, { ...key, file, offset, length });
        changed = true;
      }
    }
    if (changed) this.version++;
    return changed;
  }

  private count(state: number, by: number): void {
    if (state === State.Done) this.doneCount += by;
    else if (state === State.Failed) this.failedCount += by;
  }

  /**
   * Whether the line being offered, of key `key`, beats the record of key `cur` (both read only when the keys tie; a
   * located record that is no longer where it was, in a file rewritten since, loses: the follower then locates every
   * record again, see watch/records.ts).
   */
  private wins(key: RecordKey, cur: RecordKey | undefined, load: () => TaskRecord | null): boolean {
    if (cur === undefined) return true;
    const k = compareKeys(key, cur);
    if (k !== 0) return k < 0;
    const other = load();
    return other === null || compareRecords(this.record(), other) < 0;
  }

  private keyOf(t: number): RecordKey {
    return { attempt: this.attempt[t], rank: this.rank[t], end: this.end[t] };
  }

  /** The record line of task `task` read again (synchronously: rare, for ties); null when it is no longer there. */
  private readAt(file: number, offset: number, length: number, task: number): TaskRecord | null {
    const buf = Buffer.allocUnsafe(length);
    let fd: number;
    try {
      fd = openSync(this.files[file], 'r');
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    try {
      if (readSync(fd, buf, 0, length, offset) !== length) return null;
    } finally {
      closeSync(fd);
    }
    return recordOf(buf.toString('utf8'), task);
  }

  /** Forgets every record located (a record file was rewritten: its lines are offered again from the start). */
  reset(): void {
    this.file.fill(-1);
    this.state.fill(State.None);
    this.tags.fill(0);
    this.scheduler.clear();
    this.runs = new RunCounter(this.tasks);
    this.doneCount = 0;
    this.failedCount = 0;
    this.bad = 0;
    this.version++;
  }

  /** The tasks that have a final record (an interrupted one included), ascending. */
  located(): number[] {
    const ids: number[] = [];
    for (let t = 0; t < this.tasks; t++) if (this.file[t] >= 0) ids.push(t);
    return ids;
  }

  /** The final records of tasks [from, to), by `task - from` (undefined: none). */
  async read(from: number, to: number): Promise<Array<TaskRecord | undefined>> {
    const out = new Array<TaskRecord | undefined>(to - from);
    const ids: number[] = [];
    for (let t = from; t < to; t++) ids.push(t);
    await this.readEach(ids, (t, r) => (out[t - from] = r));
    return out;
  }

  /** The final records of tasks `ids` (those that have one), by task. */
  async readTasks(ids: Iterable<number>, opts: { lenient?: boolean } = {}): Promise<Map<number, TaskRecord>> {
    const out = new Map<number, TaskRecord>();
    await this.readEach(ids, (t, r) => out.set(t, r), opts.lenient === true);
    return out;
  }

  /**
   * Reads the final records of tasks `tasks` again, file by file in offset order, neighbouring lines with one read. A
   * record no longer where it was located (its file rewritten or removed since) is an error, or, `lenient`, left out.
   */
  private async readEach(tasks: Iterable<number>, put: (task: number, r: TaskRecord) => void, lenient = false): Promise<void> {
    const ids: number[] = [];
    for (const t of tasks) if (t >= 0 && t < this.tasks && this.file[t] >= 0) ids.push(t);
    ids.sort((a, b) => this.file[a] - this.file[b] || this.offset[a] - this.offset[b]);
    for (let i = 0; i < ids.length; ) {
      const f = this.file[ids[i]];
      const fh = await open(this.files[f], 'r').catch((e: unknown) => {
        if (lenient) return null;
        throw new EnsembleError(`cannot read record file ${this.files[f]} again (removed while the ensemble ran?): ${(e as Error).message}`, { cause: e });
      });
      if (fh === null) {
        while (i < ids.length && this.file[ids[i]] === f) i++;
        continue;
      }
      try {
        while (i < ids.length && this.file[ids[i]] === f) {
          // one read for a run of lines with small gaps between them
          let j = i + 1;
          let stop = this.offset[ids[i]] + this.length[ids[i]];
          while (j < ids.length && this.file[ids[j]] === f && this.offset[ids[j]] - stop < GAP_BYTES && stop - this.offset[ids[i]] < CHUNK_BYTES) {
            stop = Math.max(stop, this.offset[ids[j]] + this.length[ids[j]]);
            j++;
          }
          const base = this.offset[ids[i]];
          const whole = Buffer.allocUnsafe(stop - base);
          const { bytesRead } = await fh.read(whole, 0, whole.length, base);
          if (bytesRead !== whole.length && !lenient) throw new EnsembleError(`record file ${this.files[f]} shrank while it was collected`);
          // (lenient) the lines past the end of a file that shrank are no records: left out below
          const buf = whole.subarray(0, bytesRead);
          // decoded once: ASCII as Latin-1 (a plain copy), its lines then sliced out
          const text = isAscii(buf) ? buf.toString('latin1') : null;
          for (; i < j; i++) {
            const t = ids[i];
            const o = this.offset[t] - base;
            const r = recordOf(text === null ? buf.toString('utf8', o, o + this.length[t]) : text.slice(o, o + this.length[t]), t);
            if (r === null) {
              if (lenient) continue;
              throw new EnsembleError(`record file ${this.files[f]} changed while it was read (rewritten in place?): the record of task ${t} is no longer where it was`);
            }
            const s = awaitsScheduler(r) ? this.scheduler.get(t) : undefined;
            const reason = s === undefined ? null : this.readAt(s.file, s.offset, s.length, t);
            const final = reason === null ? r : refine(r, reason);
            // set on the record just parsed (no copy: nothing else holds it)
            final.runs = this.runs.runsOf(final);
            put(t, final);
          }
        }
      } finally {
        await fh.close();
      }
    }
  }

  /** The tasks whose final record is `failed`, ascending. */
  failedIds(): number[] {
    const ids: number[] = [];
    for (let t = 0; t < this.tasks; t++) if (this.state[t] === State.Failed) ids.push(t);
    return ids;
  }
}

/** The record of task `task` that `line` holds, or null when it holds another line (its file was rewritten since it was located). */
function recordOf(line: string, task: number): TaskRecord | null {
  try {
    const r = parseRecordLine(line) as TaskRecord | null;
    return r?.task === task ? r : null;
  } catch {
    return null;
  }
}

/**
 * Offers the whole lines buf[0, end) of record file `file`, starting at its byte `base`, to the index; `onChanged` hears
 * of each task whose row a line changed. ASCII (the usual record) decodes at once as Latin-1, a plain copy whose string
 * offsets are its byte offsets; other text is decoded line by line, each line's offset and length taken from its bytes
 * (a torn multi-byte character decodes to U+FFFD, three bytes: lengths taken from the text would drift).
 */
export function offerChunk(index: FinalIndex, file: number, buf: Buffer, end: number, base: number, onChanged?: (task: number) => void): void {
  const offer = (text: string, from: number, to: number, at: number, bytes: number): void => {
    const changed = index.offerLine(text, from, to, file, base + at, bytes);
    if (changed >= 0) onChanged?.(changed);
  };
  if (isAscii(buf.subarray(0, end))) {
    const text = buf.toString('latin1', 0, end);
    for (let pos = 0; pos < text.length; ) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = text.length;
      offer(text, pos, nl, pos, nl - pos);
      pos = nl + 1;
    }
    return;
  }
  for (let pos = 0; pos < end; ) {
    let nl = buf.indexOf(0x0a, pos);
    if (nl < 0 || nl > end) nl = end;
    const line = buf.toString('utf8', pos, nl);
    offer(line, 0, line.length, pos, nl - pos);
    pos = nl + 1;
  }
}

/** Reads one record file in chunks of whole lines; an unterminated last line is ignored (its writer may be writing it). */
async function indexFile(index: FinalIndex, file: number): Promise<void> {
  const path = index.files[file];
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    // A file listed a moment ago may be gone (an operator cleaning up): nothing to collect from it.
    if (isNotFound(e)) return;
    throw new EnsembleError(`cannot read record file ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    let buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let held = 0; // bytes of an unfinished line carried over from the last read
    let base = 0; // file offset of buf[0]
    for (;;) {
      if (held === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]); // a line longer than the buffer
      const { bytesRead } = await fh.read(buf, held, buf.length - held, base + held);
      if (bytesRead === 0) return;
      const filled = held + bytesRead;
      const last = buf.lastIndexOf(0x0a, filled - 1);
      if (last >= 0) {
        offerChunk(index, file, buf, last, base);
        buf.copy(buf, 0, last + 1, filled);
        base += last + 1;
        held = filled - last - 1;
      } else held = filled;
    }
  } catch (e) {
    throw new EnsembleError(`cannot read record file ${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    await fh.close();
  }
}

/**
 * Streams every `*.ndjson` record file directly inside `resultsDir` (a missing directory means no
 * records yet) and locates the final record of each task 0..tasks-1 (records of other ids are
 * ignored), with the shape of its result, for a caller that plans the dataset's result columns
 * before reading the records back.
 */
export async function readFinalIndex(resultsDir: string, tasks: number): Promise<FinalIndex> {
  let names: string[];
  try {
    const entries = await readdir(resultsDir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && e.name.endsWith('.ndjson')).map((e) => e.name);
  } catch (e) {
    if (!isNotFound(e)) throw new EnsembleError(`cannot list record files in ${resultsDir}: ${(e as Error).message}`, { cause: e });
    names = [];
  }
  names.sort();
  const index = new FinalIndex(tasks, names.map((n) => join(resultsDir, n)));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) await indexFile(index, next++);
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
  return index;
}
