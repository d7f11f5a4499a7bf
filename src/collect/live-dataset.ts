// The live dataset: while an ensemble runs, new final rows go to small parts under a checkpoint, exactly once under SIGKILL.
import { mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { EnsembleError } from '../errors.js';
import { acquireLock, lockHolder, type Lock } from '../journal/lock.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { type TaskRows, openTaskRows } from '../plan/tasks.js';
import { type PointBlock, placeRows, pointBlocks } from '../plan/points.js';
import { FinalIndex } from '../records/final-index.js';
import type { TaskRecord } from '../records/record.js';
import type { WatchOptions, WatchPlan } from '../watch/fstype.js';
import { RecordFollower } from '../watch/records.js';
import { buildDataset } from './build-dataset.js';
import { encodeParquet, readDatasetParquet } from './parquet.js';
import { type PartInfo, type PartsCheckpoint, isPartFile, partFileNames, partName, partsIntact, readPartsCheckpoint, removePart, removePartFiles, writePartFiles, writePartsCheckpoint } from './parts.js';

export interface LiveDatasetOptions extends WatchOptions {
  /** At most one flush per this many ms (default 500; 2000 for `run`'s, {@link startLiveDataset}): rows written within ~1 s. */
  flushMs?: number;
  /** Parts of one level are merged when this many have accumulated at the tail (default 8). */
  fanIn?: number;
  /** Parts are not merged into one of more rows than this (default {@link MAX_MERGED_ROWS}). */
  maxMergedRows?: number;
  onFlush?: (f: FlushInfo) => void;
  /** Errors of the background follower (it keeps going; the next change retries). */
  onError?: (e: unknown) => void;
}

/** What a flush committed. */
export interface FlushInfo {
  /** The new part, the last of them when a flush catching up wrote several (null when only offsets were checkpointed, e.g. records that did not change a final row). */
  part: string | null;
  rows: number;
  /** Parts merged away by this flush. */
  merged: string[];
  /** Committed parts after the flush. */
  parts: number;
  total: number;
  done: number;
  failed: number;
  /** Malformed complete record lines seen so far. */
  badLines: number;
  /** ms from the newest `end` among the new rows' records to the commit (cross-host clocks: indicative). */
  lagMs: number | null;
  /** ms spent writing the part and the checkpoint (and merging). */
  writeMs: number;
}

const DEFAULT_FLUSH_MS = 500;
const DEFAULT_FAN_IN = 8;
/**
 * Parts are not merged into one of more rows than this: a merge reads its rows' records back from the record files, so
 * its memory is bounded by this, not by the ensemble (a million tasks leave ~100 parts of this size; readers take the
 * newest row of a task, docs/watching.md).
 */
const MAX_MERGED_ROWS = 16_384;

/**
 * Keeps `dataset/` of an ensemble current while it runs. Each flush (at most one per `flushMs`) writes
 * one part with the rows whose final record appeared or changed since the previous flush, then
 * atomically rewrites `parts.json` (parts + record-file offsets). A part not in `parts.json` was never
 * committed: opening deletes it and re-reads from the committed offsets, so a SIGKILL at any instant
 * neither loses nor duplicates a row. Only one process per ensemble keeps it (`dataset/follow.lock`).
 */
export class LiveDataset {
  /** Where each task's final record is (not the record: about 60 bytes a task), fed by the follower. */
  private readonly index: FinalIndex;
  private readonly blocks: PointBlock[];
  private parts: PartInfo[];
  private next: number;
  private committedBytes: number;
  /** Task ids of each part, filled at flush time or read from the part when a merge needs it. */
  private readonly partTasks = new Map<string, Int32Array>();
  private readonly pending = new Set<number>();
  /**
   * 1 where the committed parts hold a row of the task: a task whose final record stops ending it (a failed attempt, then
   * an interrupted one) must lose that row, which no newer part can supersede (it has no row to write).
   */
  private readonly rowed: Uint8Array;
  /** A record file was rewritten since the last commit: any task may have lost its row, not only the pending ones. */
  private relocated = false;
  private lastFlush = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = false;
  private closed = false;
  private readonly flushMs: number;
  private readonly fanIn: number;
  private readonly maxMergedRows: number;
  /** {@link failedFinals} as last read, and the index version it was read at. */
  private failedRead: { version: number; records: TaskRecord[] } | null = null;

  private constructor(
    readonly layout: EnsembleLayout,
    readonly plan: PlanFile,
    private readonly taskRows: TaskRows,
    private readonly follower: RecordFollower,
    index: FinalIndex,
    private readonly lock: Lock,
    cp: PartsCheckpoint,
    private readonly opts: LiveDatasetOptions,
  ) {
    this.index = index;
    this.blocks = pointBlocks(plan);
    this.parts = cp.parts;
    this.next = cp.next;
    this.committedBytes = Object.values(cp.offsets).reduce((a, b) => a + b, 0);
    this.flushMs = opts.flushMs ?? DEFAULT_FLUSH_MS;
    this.fanIn = Math.max(2, opts.fanIn ?? DEFAULT_FAN_IN);
    this.maxMergedRows = opts.maxMergedRows ?? MAX_MERGED_ROWS;
    this.rowed = new Uint8Array(plan.tasks);
  }

  /**
   * Takes the live dataset of an ensemble over: recovers from the last commit (deleting uncommitted
   * parts, locating the final records of the committed offsets again). Returns null when
   * another live process keeps it.
   */
  static async open(layout: EnsembleLayout, plan: PlanFile, opts: LiveDatasetOptions = {}): Promise<LiveDataset | null> {
    if ((await lockHolder(layout.followLock)) !== null) return null;
    await mkdir(layout.datasetDir, { recursive: true });
    let lock: Lock;
    try {
      lock = await acquireLock(layout.followLock);
    } catch (e) {
      if (e instanceof EnsembleError) return null; // another one took it just now
      throw e;
    }
    try {
      let cp = await readPartsCheckpoint(layout);
      const names = await readdir(layout.datasetDir);
      // parts of an earlier instance of this ensemble directory, or parts lost or cut short (deleted by
      // hand, or a power cut before the page cache reached the disk): start over from the records
      if (cp !== null && (cp.plan_id !== plan.id || !(await partsIntact(layout, cp)))) cp = null;
      if (cp === null) {
        await unlink(layout.datasetParts).catch(() => undefined);
        cp = { format: 1, plan_id: plan.id, parts: [], offsets: {}, next: 0 };
      }
      const keep = new Set(cp.parts.flatMap((p) => partFileNames(p.name)));
      for (const n of names) {
        // uncommitted parts (a flush or merge cut short) and temp files of killed writers
        if (isPartFile(n) && !keep.has(n)) {
          await unlink(`${layout.datasetDir}/${n}`).catch(() => undefined);
        }
      }
      const rows = await openTaskRows(layout);
      const index = new FinalIndex(plan.tasks, []);
      const follower = new RecordFollower(layout.resultsDir, { ...opts, offsets: cp.offsets, index });
      const live = new LiveDataset(layout, plan, rows, follower, index, lock, cp, opts);
      // the final records of the committed offsets, located again: their rows are in the committed parts already
      const consumed = await follower.readConsumed();
      if (consumed.truncated.length === 0) {
        // the committed parts hold the rows of the committed offsets: each task that ends there has one (only)
        for (let t = 0; t < plan.tasks; t++) if (index.has(t)) live.rowed[t] = 1;
      } else {
        // a record file was rewritten or removed since the commit: the index no longer says which tasks the parts hold a
        // row of (a task whose records are gone would keep its row), so the parts do, and the first flush drops the rows
        // of tasks that no longer end
        for (const p of cp.parts) for (const t of await live.tasksOf(p)) if (t >= 0 && t < plan.tasks) live.rowed[t] = 1;
        live.relocated = true;
      }
      // warm the Parquet encoder (wasm) up now, not in the first flush someone waits for
      encodeParquet(buildDataset([], new Map(), plan.param_names));
      return live;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /** Tasks whose final record is `done`, `failed`, either (a row). */
  get done(): number {
    return this.index.doneTasks;
  }

  get failed(): number {
    return this.index.failedTasks;
  }

  get ended(): number {
    return this.index.ended;
  }

  /**
   * The final records of the failed tasks, read back (whether any is owed another attempt, collect --follow); read again
   * only once a row changed since.
   */
  async failedFinals(): Promise<TaskRecord[]> {
    return this.exclusive(async () => {
      if (this.failedRead?.version !== this.index.version) {
        const version = this.index.version;
        this.failedRead = { version, records: [...(await this.index.readTasks(this.index.failedIds())).values()] };
      }
      return this.failedRead.records;
    });
  }

  /** Committed parts, oldest first. */
  committedParts(): PartInfo[] {
    return [...this.parts];
  }

  /** Starts following the record files (inotify, or polling on network filesystems) and flushing. */
  async start(): Promise<WatchPlan> {
    const plan = await this.follower.watch(() => this.wake());
    this.wake();
    return plan;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private wake(): void {
    // a flush is timed already: its wake reads everything appended until then, in one poll instead of one per event
    if (this.queued || this.closed || this.flushTimer !== null) return;
    this.queued = true;
    this.exclusive(async () => {
      this.queued = false;
      if (!this.closed) await this.step(false);
    }).catch((e) => this.opts.onError?.(e));
  }

  /** Reads what is new into the index; the tasks whose row changed are pending a flush. */
  private async read(force: boolean): Promise<void> {
    // a forced read takes everything appended until now, reported by the watcher yet or not
    const b = await this.follower.poll({ full: force });
    for (const id of b.changed) this.pending.add(id);
    if (b.truncated.length > 0) this.relocated = true;
  }

  /** Reads what is new; flushes when due, else arms a timer for when it is. */
  private async step(force: boolean): Promise<void> {
    await this.read(force);
    if (this.pending.size === 0 && !this.relocated && this.follower.consumedBytes() === this.committedBytes) return;
    const wait = this.lastFlush + this.flushMs - Date.now();
    if (force || wait <= 0) {
      await this.flush();
      return;
    }
    if (this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.wake();
      }, wait);
    }
  }

  private async commit(parts: PartInfo[], offsets: Record<string, number>): Promise<void> {
    const cp: PartsCheckpoint = { format: 1, plan_id: this.plan.id, parts, offsets, next: this.next };
    await writePartsCheckpoint(this.layout, cp);
    this.parts = parts;
    this.committedBytes = Object.values(offsets).reduce((a, b) => a + b, 0);
  }

  /** Writes the current rows of tasks `ids` (ascending) as a new part, their final records read back from the record files. */
  private async writePart(ids: number[], level: number, finals?: Map<number, TaskRecord>): Promise<PartInfo> {
    const name = partName(this.next++);
    const rows = this.taskRows.of(ids);
    placeRows(rows, this.blocks);
    const table = buildDataset(rows, finals ?? (await this.index.readTasks(ids)), this.plan.param_names);
    const bytes = await writePartFiles(this.layout, name, table);
    // the tasks it has a row of (a task without one now is left out by buildDataset)
    this.partTasks.set(name, Int32Array.from(table.getChild('task_id')!.toArray() as Int32Array));
    return { name, rows: table.numRows, level, bytes };
  }

  /** The tasks whose committed row must go: their final record no longer ends them (or, after a rewrite, is gone). */
  private lostRows(ids: Iterable<number>): Set<number> {
    const lost = new Set<number>();
    if (this.relocated) ids = this.rowed.keys();
    for (const t of ids) if (this.rowed[t] === 1 && !this.index.has(t)) lost.add(t);
    return lost;
  }

  /**
   * The committed parts with the rows of tasks `lost` taken out: each part holding one is written again as a new part of
   * its level, in its place, with the current rows of its other tasks (current, so a newer part number never brings back a
   * stale row), or left out when none is left. Returns the new list (to commit) and the parts it replaces (to delete after).
   */
  private async withoutRows(lost: Set<number>): Promise<{ parts: PartInfo[]; replaced: string[] }> {
    if (lost.size === 0) return { parts: this.parts, replaced: [] };
    const parts: PartInfo[] = [];
    const replaced: string[] = [];
    for (const p of this.parts) {
      const ids = await this.tasksOf(p);
      if (!ids.some((t) => lost.has(t))) {
        parts.push(p);
        continue;
      }
      replaced.push(p.name);
      const keep = Array.from(ids).filter((t) => !lost.has(t));
      if (keep.length > 0) parts.push(await this.writePart(keep.sort((a, b) => a - b), p.level));
    }
    return { parts, replaced };
  }

  private async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const t0 = Date.now();
    const ids = [...this.pending].sort((a, b) => a - b);
    const offsets = this.follower.offsets();
    // a flush that catches up on many rows (a reopen after a long stop) writes several parts, each read back on its own
    const written: PartInfo[] = [];
    let newest = -Infinity;
    for (let i = 0; i < ids.length; i += this.maxMergedRows) {
      const group = ids.slice(i, i + this.maxMergedRows);
      const finals = await this.index.readTasks(group);
      for (const r of finals.values()) {
        const t = Date.parse(r.end ?? '');
        if (t > newest) newest = t;
      }
      written.push(await this.writePart(group, 0, finals));
    }
    const lost = this.lostRows(ids);
    const { parts, replaced } = await this.withoutRows(lost);
    // the parts are on disk but not yet committed: a SIGKILL here leaves them to be deleted on the next open
    await this.commit([...parts, ...written], offsets);
    for (const name of replaced) {
      await removePart(this.layout, name);
      this.partTasks.delete(name);
    }
    for (const t of lost) this.rowed[t] = 0;
    for (const t of ids) this.rowed[t] = this.index.has(t) ? 1 : 0;
    this.pending.clear();
    this.relocated = false;
    this.lastFlush = Date.now();
    const merged = await this.mergeTail();
    this.opts.onFlush?.({
      part: written.at(-1)?.name ?? null,
      rows: written.reduce((n, p) => n + p.rows, 0),
      merged,
      parts: this.parts.length,
      total: this.plan.tasks,
      done: this.index.doneTasks,
      failed: this.index.failedTasks,
      badLines: this.index.bad,
      lagMs: Number.isFinite(newest) ? this.lastFlush - newest : null,
      writeMs: Date.now() - t0,
    });
  }

  private async tasksOf(p: PartInfo): Promise<Int32Array> {
    let ids = this.partTasks.get(p.name);
    if (ids === undefined) {
      const col = (await readDatasetParquet(this.layout.datasetPart(p.name, 'parquet'))).getChild('task_id');
      ids = col ? Int32Array.from(col.toArray() as Int32Array) : new Int32Array(0);
      this.partTasks.set(p.name, ids);
    }
    return ids;
  }

  /**
   * Size-tiered merging keeps the number of parts logarithmic in the number of flushes: when the tail
   * holds `fanIn` parts of one level, they become one part of the next level holding the current final
   * row of each of their tasks. Runs right after a commit, when every final row is committed, so the
   * merged part (the newest) is exactly what its inputs say, deduplicated. A tail of more than `maxMergedRows` rows
   * stays as it is.
   */
  private async mergeTail(): Promise<string[]> {
    const mergedAway: string[] = [];
    for (;;) {
      const n = this.parts.length;
      if (n < this.fanIn) break;
      const level = this.parts[n - 1].level;
      const tail = this.parts.slice(n - this.fanIn);
      if (!tail.every((p) => p.level === level) || tail.reduce((n, p) => n + p.rows, 0) > this.maxMergedRows) break;
      const ids = new Set<number>();
      for (const p of tail) for (const id of await this.tasksOf(p)) ids.add(id);
      const merged = await this.writePart([...ids].sort((a, b) => a - b), level + 1);
      const offsets = this.follower.offsets();
      await this.commit([...this.parts.slice(0, n - this.fanIn), merged], offsets);
      for (const p of tail) {
        await removePart(this.layout, p.name);
        this.partTasks.delete(p.name);
        mergedAway.push(p.name);
      }
    }
    return mergedAway;
  }

  /** Reads everything appended so far and commits it now (no debounce). */
  async sync(): Promise<void> {
    await this.exclusive(() => this.step(true));
  }

  /** Stops watching and commits what was appended until now; the lock is kept until {@link release}. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.follower.close();
    await this.exclusive(() => this.step(true));
  }

  /**
   * Gives the live dataset up. With `removeParts` (after compaction wrote dataset.parquet/csv from the
   * records) the checkpoint goes first, then the parts, so a kill half-way leaves only orphans that the
   * next open deletes.
   */
  async release(opts: { removeParts: boolean }): Promise<void> {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.follower.close();
    await this.chain;
    try {
      if (opts.removeParts) await removePartFiles(this.layout);
    } finally {
      await this.lock.release();
    }
    if (opts.removeParts) await rmdir(this.layout.datasetDir).catch(() => undefined);
  }
}

/**
 * Removes `dataset/` (the parts) after a compaction, unless a live process keeps it. Returns whether
 * anything was removed.
 */
export async function removeLiveParts(layout: EnsembleLayout): Promise<boolean> {
  const names = await readdir(layout.datasetDir).catch(() => null);
  if (names === null) return false;
  if ((await lockHolder(layout.followLock)) !== null) return false;
  let lock: Lock;
  try {
    lock = await acquireLock(layout.followLock);
  } catch (e) {
    if (e instanceof EnsembleError) return false;
    throw e;
  }
  try {
    await removePartFiles(layout);
  } finally {
    await lock.release();
  }
  await rmdir(layout.datasetDir).catch(() => undefined);
  return true;
}

/**
 * `run`'s flush spacing: nobody waits on its rows (a `collect --follow` does, at the default), and each flush is a part,
 * two files and a checkpoint rename on the shared filesystem, where metadata operations are what NFS and Lustre pay
 * for. At 500 ms the parts cost a 1,000-task run on Slurm ≈ 0.7 s of the controller's ≈ 4.7 s of CPU.
 */
const RUN_FLUSH_MS = 2000;

/**
 * For `run`: keeps dataset/ current in the background, or returns null when another process (a
 * `collect --follow`) already does. Errors while following are reported, never thrown.
 */
export async function startLiveDataset(layout: EnsembleLayout, plan: PlanFile, opts: LiveDatasetOptions = {}): Promise<LiveDataset | null> {
  const live = await LiveDataset.open(layout, plan, { flushMs: RUN_FLUSH_MS, ...opts });
  if (live === null) return null;
  try {
    await live.start();
  } catch (e) {
    await live.release({ removeParts: false });
    throw e;
  }
  return live;
}
