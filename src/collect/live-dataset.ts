// The live dataset: while an ensemble runs, new final rows go to small parts under a checkpoint, exactly once under SIGKILL.
import { mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { EnsembleError } from '../errors.js';
import { acquireLock, lockHolder, type Lock } from '../journal/lock.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import { type TaskRow, readTaskTable } from '../plan/tasks.js';
import { placeRows, pointBlocks } from '../plan/points.js';
import { FinalState } from '../records/final-state.js';
import type { TaskRecord } from '../records/record.js';
import type { WatchOptions, WatchPlan } from '../watch/fstype.js';
import { RecordFollower } from '../watch/records.js';
import { buildDataset } from './build-dataset.js';
import { encodeParquet, readDatasetParquet } from './parquet.js';
import { type PartInfo, type PartsCheckpoint, isPartFile, partFileNames, partName, partsIntact, readPartsCheckpoint, removePart, removePartFiles, writePartFiles, writePartsCheckpoint } from './parts.js';

export interface LiveDatasetOptions extends WatchOptions {
  /** At most one flush per this many ms (default 500): rows written within ~1 s, few parts per second. */
  flushMs?: number;
  /** Parts of one level are merged when this many have accumulated at the tail (default 8). */
  fanIn?: number;
  onFlush?: (f: FlushInfo) => void;
  /** Errors of the background follower (it keeps going; the next change retries). */
  onError?: (e: unknown) => void;
}

/** What a flush committed. */
export interface FlushInfo {
  /** The new part (null when only offsets were checkpointed, e.g. records that did not change a final row). */
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
 * Keeps `dataset/` of an ensemble current while it runs. Each flush (at most one per `flushMs`) writes
 * one part with the rows whose final record appeared or changed since the previous flush, then
 * atomically rewrites `parts.json` (parts + record-file offsets). A part not in `parts.json` was never
 * committed: opening deletes it and re-reads from the committed offsets, so a SIGKILL at any instant
 * neither loses nor duplicates a row. Only one process per ensemble keeps it (`dataset/follow.lock`).
 */
export class LiveDataset {
  readonly state: FinalState;
  private parts: PartInfo[];
  private next: number;
  private committedBytes: number;
  /** Task ids of each part, filled at flush time or read from the part when a merge needs it. */
  private readonly partTasks = new Map<string, number[]>();
  private readonly pending = new Set<number>();
  private lastFlush = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = false;
  private closed = false;
  private badLines = 0;
  private readonly flushMs: number;
  private readonly fanIn: number;
  /** The batch loop's listener ({@link finalsFollower}). */
  private onChanged: ((tasks: number[]) => void) | null = null;

  private constructor(
    readonly layout: EnsembleLayout,
    readonly plan: PlanFile,
    private readonly taskRows: TaskRow[],
    private readonly follower: RecordFollower,
    private readonly lock: Lock,
    cp: PartsCheckpoint,
    private readonly opts: LiveDatasetOptions,
  ) {
    this.state = new FinalState(plan.tasks);
    this.parts = cp.parts;
    this.next = cp.next;
    this.committedBytes = Object.values(cp.offsets).reduce((a, b) => a + b, 0);
    this.flushMs = opts.flushMs ?? DEFAULT_FLUSH_MS;
    this.fanIn = Math.max(2, opts.fanIn ?? DEFAULT_FAN_IN);
  }

  /**
   * Takes the live dataset of an ensemble over: recovers from the last commit (deleting uncommitted
   * parts, rebuilding the final rows of the committed offsets from the records). Returns null when
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
      const rows = await readTaskTable(layout);
      placeRows(rows, pointBlocks(plan));
      const follower = new RecordFollower(layout.resultsDir, { ...opts, offsets: cp.offsets });
      const live = new LiveDataset(layout, plan, rows, follower, lock, cp, opts);
      const consumed = await follower.readConsumed();
      live.state.add(consumed.records);
      live.badLines = consumed.bad.length;
      // warm the Parquet encoder (wasm) up now, not in the first flush someone waits for
      encodeParquet(buildDataset([], live.state.finals, plan.param_names));
      return live;
    } catch (e) {
      await lock.release();
      throw e;
    }
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

  /**
   * For the batch loop's tick, the contract of watch/records.ts `followFinals`, from this dataset's own follower and
   * final state: the controller reads and keeps each record once, not once for the loop and once for the dataset (at a
   * million tasks, two copies of every final record). Each call reads the record bytes appended since the last read
   * (the loop's or the watcher's), hands the tasks whose final record changed to `onChanged`, and returns the finals.
   */
  finalsFollower(onChanged?: (tasks: number[]) => void): () => Promise<Map<number, TaskRecord>> {
    this.onChanged = onChanged ?? null;
    return async () => {
      // the rows read here are flushed like those the watcher reads (a timed flush, errors reported, never thrown)
      if ((await this.exclusive(() => this.read(false))).length > 0) this.wake();
      return this.state.finals;
    };
  }

  /** Reads what is new into the final state; returns the tasks whose final record changed (pending a flush). */
  private async read(force: boolean): Promise<number[]> {
    // a forced read takes everything appended until now, reported by the watcher yet or not
    const b = await this.follower.poll({ full: force });
    const changed = this.state.add(b.records);
    for (const id of changed) this.pending.add(id);
    this.badLines += b.bad.length;
    // whichever read finds them (the watcher's or the loop's tick), the loop hears of every change
    if (changed.length > 0) this.onChanged?.(changed);
    return changed;
  }

  /** Reads what is new; flushes when due, else arms a timer for when it is. */
  private async step(force: boolean): Promise<void> {
    await this.read(force);
    if (this.pending.size === 0 && this.follower.consumedBytes() === this.committedBytes) return;
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

  private async writePart(ids: number[], level: number): Promise<PartInfo> {
    const name = partName(this.next++);
    const table = buildDataset(ids.map((id) => this.taskRows[id]), this.state.finals, this.plan.param_names);
    const bytes = await writePartFiles(this.layout, name, table);
    this.partTasks.set(name, ids);
    return { name, rows: table.numRows, level, bytes };
  }

  private async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const t0 = Date.now();
    const ids = [...this.pending].sort((a, b) => a - b);
    const offsets = this.follower.offsets();
    const part = ids.length > 0 ? await this.writePart(ids, 0) : null;
    // the part is on disk but not yet committed: a SIGKILL here leaves it to be deleted on the next open
    await this.commit(part ? [...this.parts, part] : this.parts, offsets);
    this.pending.clear();
    this.lastFlush = Date.now();
    const merged = await this.mergeTail();
    let newest = -Infinity;
    for (const id of ids) {
      const t = Date.parse(this.state.final(id)?.end ?? '');
      if (t > newest) newest = t;
    }
    this.opts.onFlush?.({
      part: part?.name ?? null,
      rows: part?.rows ?? 0,
      merged,
      parts: this.parts.length,
      total: this.plan.tasks,
      done: this.state.done,
      failed: this.state.failed,
      badLines: this.badLines,
      lagMs: Number.isFinite(newest) ? this.lastFlush - newest : null,
      writeMs: Date.now() - t0,
    });
  }

  private async tasksOf(p: PartInfo): Promise<number[]> {
    let ids = this.partTasks.get(p.name);
    if (ids === undefined) {
      const col = (await readDatasetParquet(this.layout.datasetPart(p.name, 'parquet'))).getChild('task_id');
      ids = col ? Array.from(col.toArray() as Int32Array) : [];
      this.partTasks.set(p.name, ids);
    }
    return ids;
  }

  /**
   * Size-tiered merging keeps the number of parts logarithmic in the number of flushes: when the tail
   * holds `fanIn` parts of one level, they become one part of the next level holding the current final
   * row of each of their tasks. Runs right after a commit, when every final row is committed, so the
   * merged part (the newest) is exactly what its inputs say, deduplicated.
   */
  private async mergeTail(): Promise<string[]> {
    const mergedAway: string[] = [];
    for (;;) {
      const n = this.parts.length;
      if (n < this.fanIn) break;
      const level = this.parts[n - 1].level;
      const tail = this.parts.slice(n - this.fanIn);
      if (!tail.every((p) => p.level === level)) break;
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
 * For `run`: keeps dataset/ current in the background, or returns null when another process (a
 * `collect --follow`) already does. Errors while following are reported, never thrown.
 */
export async function startLiveDataset(layout: EnsembleLayout, plan: PlanFile, opts: LiveDatasetOptions = {}): Promise<LiveDataset | null> {
  const live = await LiveDataset.open(layout, plan, opts);
  if (live === null) return null;
  try {
    await live.start();
  } catch (e) {
    await live.release({ removeParts: false });
    throw e;
  }
  return live;
}
