// Login-side follower of results/: keeps a byte offset per record file and reads only the bytes appended since, as whole records. It watches with node:fs watch, not chokidar: chokidar stat'ed the file on every append and re-listed the directory on every event (docs/watching.md).
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BadLine } from '../records/read.js';
import { parseRecordText } from '../records/parse.js';
import { EnsembleError } from '../errors.js';
import type { TaskRecord } from '../records/record.js';
import { FinalIndex, offerChunk } from '../records/final-index.js';
import { planWatch, type WatchOptions, type WatchPlan } from './fstype.js';
import { TAIL_BYTES, type Tail, holds, tailHolds, tailOf } from './rewrite.js';

/** What one {@link RecordFollower.poll} found: only records appended since the previous poll. */
export interface FollowedBatch {
  /** The records read (none when the follower feeds an index: see {@link RecordFollowerOptions.index}). */
  records: TaskRecord[];
  /** With an index: the tasks whose row the lines read changed (repeats possible). */
  changed: number[];
  /** Complete lines that are not valid records (1-based line numbers within their file; with an index, its `bad` counts them instead). */
  bad: BadLine[];
  /** Bytes read past the offsets by this poll (whole lines only are consumed; a torn tail is read again later). */
  bytesRead: number;
  /**
   * Record files rewritten (they shrank below their offset, were replaced by another file, or the bytes just before their
   * offset changed: see {@link RecordFollower}): they are read again from the start.
   */
  truncated: string[];
}

export interface RecordFollowerOptions extends WatchOptions {
  /** Bytes already consumed, per record file name: reading resumes there (a checkpoint). */
  offsets?: Record<string, number>;
  /**
   * While watching, a full re-scan of the directory happens at least this often (ms), a safety net
   * for events the watcher missed (inotify queue overflow, a filesystem misdetected as local).
   * Default: 10 × the polling interval.
   */
  rescanMs?: number;
  /**
   * Lines are offered to this index (located, not parsed into records: the live dataset keeps about 60 bytes a task, not a
   * record object) and a batch names the tasks whose row changed.
   */
  index?: FinalIndex;
}

// Large enough that catching up on a big file takes few reads; small enough to bound memory.
const READ_CHUNK = 4 << 20;
// Parallel reads during a full scan: hides shared-filesystem latency without exhausting descriptors.
const SCAN_CONCURRENCY = 16;

interface FileState {
  offset: number;
  /** Complete lines before `offset`, for line numbers of bad lines. -1 when resumed from a checkpoint. */
  line: number;
  /** The last bytes before `offset` (up to {@link TAIL_BYTES}, a newline last) as read: their length and CRC-32; null until read. */
  tail?: Tail | null;
  /** The file's inode, size and mtime when it was last read (a file with the same ones is not looked at again). */
  seen?: { ino: number; size: number; mtimeMs: number };
}

const isRecordFile = (name: string): boolean => name.endsWith('.ndjson');

const emptyBatch = (): FollowedBatch => ({ records: [], changed: [], bad: [], bytesRead: 0, truncated: [] });

function countNewlines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) n++;
  return n;
}

/**
 * Follows the record files of `results/`: each {@link poll} returns only the records appended since the
 * previous one, reading each file from its remembered byte offset (never the whole file again). Only
 * whole lines are consumed; an unterminated last line (its writer is mid-write, or was killed) is read
 * again once it is complete. {@link watch} adds an inotify watch (a full scan every interval on NFS/Lustre/GPFS/...) so
 * a poll reads only the files that changed.
 */
export class RecordFollower {
  private readonly files = new Map<string, FileState>();
  private readonly dirty = new Set<string>();
  /** The inotify watch of the directory (null when polling, or not watching). */
  private watcher: FSWatcher | null = null;
  /** close() was called: a watch() still probing the filesystem starts no watcher. */
  private closed = false;
  private watching = false;
  private rescanTimer: NodeJS.Timeout | null = null;
  private lastScan = 0;
  private chain: Promise<unknown> = Promise.resolve();
  /** What a poll that failed part-way had read (records, changed tasks, truncations): the next poll delivers it. */
  private carried: FollowedBatch | null = null;
  private readonly rescanMs: number | undefined;
  /** How the directory is watched, once {@link watch} was called. */
  watchPlan: WatchPlan | null = null;

  constructor(
    readonly dir: string,
    private readonly opts: RecordFollowerOptions = {},
  ) {
    for (const [name, offset] of Object.entries(opts.offsets ?? {})) {
      if (Number.isSafeInteger(offset) && offset >= 0) this.files.set(name, { offset, line: offset === 0 ? 0 : -1 });
    }
    this.rescanMs = opts.rescanMs;
  }

  /** Bytes consumed so far per record file name (a checkpoint to resume from). */
  offsets(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of [...this.files.keys()].sort()) out[name] = this.files.get(name)!.offset;
    return out;
  }

  /** Total bytes consumed over all files. */
  consumedBytes(): number {
    let n = 0;
    for (const s of this.files.values()) n += s.offset;
    return n;
  }

  /**
   * Reads the records before the starting offsets given to the constructor (the part a checkpoint says
   * was already handled), without moving any offset: lets a consumer rebuild its state after a restart
   * (with an index, the lines are located in it and the batch holds no records).
   */
  async readConsumed(): Promise<FollowedBatch> {
    return this.serial(async () => {
      const batch = emptyBatch();
      for (const [name, st] of this.files) {
        if (st.offset === 0) continue;
        const probe: FileState = { offset: 0, line: 0 };
        await this.readFile(name, probe, batch, st.offset);
        st.line = probe.line;
        if (probe.offset < st.offset) batch.truncated.push(name);
        // the bytes the first poll checks (unless the offset is no longer at a line's end: then that poll finds it out)
        else st.tail = probe.tail;
      }
      return batch;
    });
  }

  /**
   * Reads what was appended since the last poll. Without a watcher (or when a re-scan is due, or with
   * `full`) it lists the directory and checks every record file's size; with one, it reads just the
   * files reported changed.
   */
  async poll(opts: { full?: boolean } = {}): Promise<FollowedBatch> {
    return this.serial(async () => {
      // what a failed poll had read already (its offsets moved on): delivered with this one
      const batch = this.carried ?? emptyBatch();
      this.carried = null;
      const now = Date.now();
      const rescanMs = this.rescanMs ?? 10 * (this.watchPlan?.pollMs ?? 1000);
      let names: string[];
      if (opts.full === true || this.watcher === null || now - this.lastScan >= rescanMs) {
        names = await this.list();
        this.lastScan = now;
        this.dirty.clear();
      } else {
        names = [...this.dirty].sort();
        this.dirty.clear();
      }
      let next = 0;
      const parts = names.map(emptyBatch);
      // The first error ends the poll once every read under way has stopped: a read left running past it would advance
      // the offsets of its file beside the next poll's read of the same file (lines skipped), its changes lost.
      let failure: { error: unknown } | null = null;
      const worker = async () => {
        while (failure === null && next < names.length) {
          const i = next++;
          const name = names[i];
          let st = this.files.get(name);
          if (st === undefined) {
            st = { offset: 0, line: 0 };
            this.files.set(name, st);
          }
          try {
            await this.readFile(name, st, parts[i], Infinity);
          } catch (error) {
            failure ??= { error };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(SCAN_CONCURRENCY, names.length) }, worker));
      // file-name order, then line order: the same order a full collection reads them in
      for (const p of parts) {
        for (const r of p.records) batch.records.push(r);
        for (const t of p.changed) batch.changed.push(t);
        for (const b of p.bad) batch.bad.push(b);
        batch.bytesRead += p.bytesRead;
        batch.truncated.push(...p.truncated);
      }
      if (failure !== null) {
        this.carried = batch;
        // the files this poll did not read to their end (the failed one among them): the next poll lists them all
        this.lastScan = 0;
        throw (failure as { error: unknown }).error;
      }
      if (this.opts.index && batch.truncated.length > 0) {
        try {
          batch.changed = await this.relocate(this.opts.index);
        } catch (e) {
          this.carried = batch;
          throw e;
        }
      }
      return batch;
    });
  }

  /**
   * A record file was rewritten (it shrank): the records the index located in it may be gone or elsewhere. Every record
   * is located again, each file read up to its offset; every task with a final record counts as changed.
   */
  private async relocate(index: FinalIndex): Promise<number[]> {
    index.reset();
    const scratch = emptyBatch();
    for (const [name, st] of [...this.files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (st.offset > 0) await this.readFile(name, { offset: 0, line: 0 }, scratch, st.offset);
    }
    return index.located();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async list(): Promise<string[]> {
    try {
      const entries = await readdir(this.dir, { withFileTypes: true });
      return entries.filter((e) => e.isFile() && isRecordFile(e.name)).map((e) => e.name).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new EnsembleError(`cannot list record files in ${this.dir}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * Reads whole lines of `name` from `st.offset` up to `limit` (or its end), advancing `st`. Following (no `limit`), a file
   * rewritten since it was last read (see {@link TAIL_BYTES}) is reported in `truncated` and read from its start.
   */
  private async readFile(name: string, st: FileState, batch: FollowedBatch, limit: number): Promise<void> {
    const path = join(this.dir, name);
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      // gone since it was listed (an operator cleaning up): nothing more to read from it
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new EnsembleError(`cannot read record file ${path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const stat = await fh.stat();
      const size = Math.min(stat.size, limit);
      const follow = limit === Infinity;
      const { seen } = st;
      const same = seen !== undefined && seen.ino === stat.ino && seen.size === stat.size && seen.mtimeMs === stat.mtimeMs;
      // replaced by another file (renamed over it), or shorter than what was read of it
      let rewritten = follow && ((seen !== undefined && seen.ino !== stat.ino) || size < st.offset);
      // changed but no longer (nothing to read): only the bytes before the offset can tell whether it was rewritten
      if (follow && !rewritten && !same && size === st.offset && st.tail) rewritten = !(await tailHolds(fh, st.offset, st.tail));
      if (follow) st.seen = { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
      if (rewritten) this.restart(name, st, batch);
      let chunk = READ_CHUNK;
      while (st.offset < size) {
        // the bytes before the offset, read again: checked against those read before, or (none yet) kept for the next read
        const pre = Math.min(st.tail?.len ?? TAIL_BYTES, st.offset);
        const want = Math.min(size - st.offset, chunk);
        const buf = Buffer.allocUnsafe(pre + want);
        const got = (await fh.read(buf, 0, pre + want, st.offset - pre)).bytesRead;
        if (follow && pre > 0 && (got < pre || buf[pre - 1] !== 0x0a || (st.tail && !holds(st.tail, buf.subarray(0, pre))))) {
          this.restart(name, st, batch);
          continue;
        }
        const bytesRead = Math.max(0, got - pre);
        batch.bytesRead += bytesRead;
        if (bytesRead === 0) break;
        const data = buf.subarray(pre, got);
        const end = data.lastIndexOf(0x0a);
        if (end < 0) {
          // no complete line in this window: a torn tail, or a line longer than the window
          if (st.offset + bytesRead >= size) break;
          chunk *= 2;
          continue;
        }
        st.tail = tailOf(buf.subarray(Math.max(0, pre + end + 1 - TAIL_BYTES), pre + end + 1));
        chunk = READ_CHUNK;
        const { index } = this.opts;
        if (index) {
          offerChunk(index, index.fileId(path), data, end, st.offset, (t) => batch.changed.push(t));
          st.offset += end + 1;
          continue;
        }
        // decode only whole lines, so a multi-byte character torn at the window's edge cannot matter
        const parsed = parseRecordText(data.toString('utf8', 0, end + 1));
        for (const r of parsed.records) batch.records.push(r);
        if (st.line >= 0) for (const l of parsed.badLines) batch.bad.push({ file: path, line: st.line + l });
        else for (const _ of parsed.badLines) batch.bad.push({ file: path, line: 0 });
        if (st.line >= 0) st.line += countNewlines(data, end + 1);
        // the bytes, not parsed.consumed: that re-measures the decoded text, longer where a line holds bytes that are no UTF-8
        st.offset += end + 1;
      }
    } finally {
      await fh.close();
    }
  }

  /** A rewritten file is read again from its start (the caller locates every record again). */
  private restart(name: string, st: FileState, batch: FollowedBatch): void {
    if (!batch.truncated.includes(name)) batch.truncated.push(name);
    st.offset = 0;
    st.line = 0;
    st.tail = null;
  }

  /**
   * Starts watching the directory (creating it if missing): `onChange` is called whenever a record file
   * was added or grew, and every re-scan period; call {@link poll} from it. With inotify, Node's own
   * `fs.watch` of the directory names each file that changed (no stat, no directory walk per event);
   * where inotify is blind to other hosts (NFS/Lustre/...), every `pollMs` is a full scan. Returns how it watches.
   */
  async watch(onChange: () => void): Promise<WatchPlan> {
    if (this.watching) throw new Error('RecordFollower.watch called twice');
    await mkdir(this.dir, { recursive: true }).catch(() => undefined);
    const plan = await planWatch(this.dir, this.opts);
    this.watchPlan = plan;
    // closed while the filesystem was being probed: no watch (it would hold the process open with nobody to close it)
    if (this.closed) return plan;
    this.watching = true;
    if (plan.mode === 'inotify') {
      try {
        this.watcher = fsWatch(this.dir, { persistent: true }, (_event, name) => {
          // no name (rare: the kernel did not say): the next poll is a full scan
          if (name === null) this.lastScan = 0;
          else if (isRecordFile(name)) this.dirty.add(name);
          else return;
          onChange();
        });
        // errors (a vanished directory, inotify limits) must not kill the process: without the watch, every poll
        // (the periodic re-scan's included) is a full scan
        this.watcher.on('error', () => {
          this.watcher?.close();
          this.watcher = null;
        });
      } catch {
        // no inotify watch to be had (ENOSPC: the user's watch limit): the periodic re-scan alone reads
      }
    }
    // the first poll after this is a full scan: it sees whatever was written before the watcher was ready
    this.lastScan = 0;
    const rescanMs = plan.mode === 'poll' ? plan.pollMs : (this.rescanMs ?? 10 * plan.pollMs);
    this.rescanTimer = setInterval(onChange, rescanMs);
    this.rescanTimer.unref();
    return plan;
  }

  /**
   * Watches and delivers every non-empty batch to `onBatch` (polls are coalesced: changes during a
   * poll cause exactly one more). Errors of a poll go to `onError`; following continues.
   */
  async start(onBatch: (b: FollowedBatch) => void | Promise<void>, onError: (e: unknown) => void = () => undefined): Promise<WatchPlan> {
    let busy = false;
    let again = false;
    const run = (): void => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      void this.poll()
        .then(async (b) => {
          if (b.records.length > 0 || b.changed.length > 0 || b.bad.length > 0 || b.truncated.length > 0) await onBatch(b);
        })
        .catch(onError)
        .finally(() => {
          busy = false;
          if (again && this.watching) {
            again = false;
            run();
          }
        });
    };
    const plan = await this.watch(run);
    run();
    return plan;
  }

  /** Stops watching; offsets are kept (a later poll continues where this one stopped). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    this.rescanTimer = null;
    this.watcher?.close();
    this.watcher = null;
    this.watching = false;
    await this.chain;
  }
}

/** The final records a {@link FollowedFinals.poll} reads back at a time (a resumed run of a million tasks: not all at once). */
const FOLLOW_SLICE = 16_384;

/** A scheduler loop's view of the records: the final records that changed since its last look, and any task's on demand. */
export interface FollowedFinals {
  /**
   * Reads only the record bytes appended since the previous call and hands the final records they changed to `each`,
   * read back from the record files (a task's `runs` or scheduler reason included), ascending by task and at most a
   * slice at a time; returns how many tasks changed. Records of tasks outside 0..tasks-1 are ignored.
   */
  poll(each: (finals: TaskRecord[]) => void | Promise<void>): Promise<number>;
  /** The final records of `tasks` as they are now (those that have one, and can be read back). */
  read(tasks: Iterable<number>): Promise<Map<number, TaskRecord>>;
}

/**
 * Records no longer where they were located (a record file rewritten or removed by hand while the loop runs) are left
 * out: the loop goes on with what it knew of them, as it did when it held the records.
 */
const LENIENT = { lenient: true };

/**
 * For a scheduler loop's tick. The records are located in a {@link FinalIndex} (about 60 bytes a task), not held: the
 * loop keeps what it decides by (records/final-marks.ts), and a million record objects were ≈ 300 MB.
 */
export function followFinals(resultsDir: string, tasks: number): FollowedFinals {
  const index = new FinalIndex(tasks, []);
  const follower = new RecordFollower(resultsDir, { index });
  return {
    async poll(each) {
      const { changed } = await follower.poll();
      if (changed.length === 0) return 0;
      const ids = [...new Set(changed)].sort((a, b) => a - b);
      for (let i = 0; i < ids.length; i += FOLLOW_SLICE) {
        const read = await index.readTasks(ids.slice(i, i + FOLLOW_SLICE), LENIENT);
        await each([...read.values()].sort((a, b) => a.task - b.task));
      }
      return ids.length;
    },
    read: (ids) => index.readTasks(ids, LENIENT),
  };
}
