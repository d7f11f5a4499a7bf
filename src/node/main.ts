// Entry points of `arrayflow task`: a local worker fed task ids on stdin, or one scheduler array element.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { UsageError } from '../errors.js';
import { elementName, elementWriter } from '../layout/layout.js';
import { readPlan } from '../plan/read.js';
import { elementTasks } from '../plan/plan.js';
import { type TaskRow, readTaskRange } from '../plan/tasks.js';
import { recordLine } from '../records/line.js';
import type { TaskRecord } from '../records/record.js';
import { type WorkItem, WORKER_READY } from '../records/owed.js';
import { StartsFile, keepsStarts } from '../records/starts.js';
import { storageErrorOf } from '../records/storage.js';
import { RecordWriter } from '../records/writer.js';
import { elementTimeLimit } from '../scheduler/resources.js';
import { claimedTasks } from './claims.js';
import { scratchRemoved, sweepStaleScratch } from './scratch.js';
import { SpawnServer } from './spawn-server.js';
import { type TaskContext, WrapperState, resolveScratchRoot, runTask, stopExitCode } from './wrapper.js';

/** One unit of work sent to a local worker: a line `{"task":N,"attempt":A}` on its stdin. */
export type { WorkItem } from '../records/owed.js';

/** `local`: a local worker's (its tasks are interrupted by a stop, and held to resources.time and resources.mem). */
async function context(ensembleDir: string, jobId: string | null, local = false): Promise<TaskContext> {
  const { layout, plan } = await readPlan(ensembleDir);
  const state = new WrapperState(local);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => state.terminate(sig));
  await sweepStaleScratch(resolveScratchRoot(plan.runtime.scratch), plan.name);
  return { layout, plan, jobId, state, local };
}

/** Rows read per read of the task table: a worker is fed ids mostly in order, an element runs a contiguous range. */
const ROW_WINDOW = 128;

/** Task rows, read a window at a time (one open, header read and row read per window instead of per task). */
class TaskRows {
  private first = 0;
  private rows: TaskRow[] = [];
  constructor(
    private readonly ctx: TaskContext,
    /** Rows the table holds (plan.json is written after tasks.bin): the window never reads past them. */
    private readonly total: number,
  ) {}

  async get(task: number): Promise<TaskRow> {
    const cached = this.rows[task - this.first];
    if (cached?.id === task) return cached;
    const last = Math.max(task + 1, Math.min(this.total, task + ROW_WINDOW));
    // a window past the table's end (a stale plan.json): the task's own row, or the table's error about it
    this.rows = await readTaskRange(this.ctx.layout, task, last).catch(() => readTaskRange(this.ctx.layout, task, task + 1));
    this.first = task;
    return this.rows[0];
  }
}

/**
 * Runs `items` with at most `parallel` at once (`many`: more than one expected, worth the spawn helper); stops starting
 * new ones once termination was requested, or once the filesystem refused a record (every later task would fail the
 * same way): then throws that StorageError, after the running tasks ended, for the caller to stop with. `starting` is
 * told each task before it starts; when it throws (a refused start line), that task is not started either.
 */
async function runPool(
  ctx: TaskContext,
  items: AsyncIterable<WorkItem> | Iterable<WorkItem>,
  parallel: number,
  many: boolean,
  done: (r: TaskRecord) => void,
  starting?: (task: number) => void,
): Promise<void> {
  const active = new Set<Promise<void>>();
  const rows = new TaskRows(ctx, ctx.plan.tasks);
  let failure: unknown = null;
  const stopped = () => ctx.state.terminating !== null || failure !== null;
  for await (const item of items) {
    if (stopped()) break;
    const row = await rows.get(item.task);
    try {
      starting?.(item.task);
    } catch (e) {
      failure ??= e;
      break;
    }
    // the wrapper emits the record itself: before it stops a lingering simulation and removes scratch
    const p = runTask(ctx, row, item.attempt, done).then(
      (rec) => void (failure ??= storageErrorOf(rec)),
      (e: unknown) => void (failure ??= e),
    );
    active.add(p);
    void p.finally(() => active.delete(p));
    // more simulations may follow: the spawn helper starts while the first runs (./spawn-server.ts)
    if (many) SpawnServer.start();
    if (active.size >= parallel) await Promise.race(active);
    // checked before the next item is pulled: pulling one may claim a block (./claims.ts)
    if (stopped()) break;
  }
  await Promise.all(active);
  if (failure !== null) throw failure;
}

/**
 * Work items from stdin, read as they arrive: the controller keeps the next item queued here while a task runs,
 * so no task waits for a round trip to the controller. EOF drops the items not started yet and calls `onEnd`.
 */
function stdinItems(onEnd: () => void): AsyncIterable<WorkItem> {
  const queue: WorkItem[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (ended || line.trim() === '') return;
    queue.push(JSON.parse(line) as WorkItem);
    wake?.();
  });
  rl.on('close', () => {
    ended = true;
    queue.length = 0;
    onEnd();
    wake?.();
  });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const item = queue.shift();
        if (item) yield item;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

/**
 * Local worker: reads work items from stdin until EOF, appends each record to its own record file, then
 * echoes the record on stdout so the controller can count it. The controller closes stdin of an idle worker when
 * the run is done, and of every worker when it is interrupted; a controller that dies (even by SIGKILL) closes it
 * too. So EOF stops the running task's simulation and records the task `interrupted`, and the worker exits: no
 * simulation outlives its controller by more than the grace of a stop. Items queued behind it are not started.
 */
export async function runWorker(ensembleDir: string, writer: string): Promise<number> {
  const ctx = await context(ensembleDir, null, true);
  // ready once the task table reads too: a worker that cannot read it would fail every task it is sent
  if (ctx.plan.tasks > 0) await readTaskRange(ctx.layout, 0, 1);
  const out = new RecordWriter(ctx.layout.recordFile(writer));
  // a dead controller's end of the pipe: the record is in the record file, a later run reads it there
  process.stdout.on('error', () => undefined);
  process.stdout.write(`${WORKER_READY}\n`);
  try {
    await runPool(ctx, stdinItems(() => ctx.state.terminate('end of input')), 1, true, (rec) => {
      out.write(rec);
      process.stdout.write(recordLine(rec) + '\n');
    });
  } finally {
    out.close();
    await Promise.all([scratchRemoved(), SpawnServer.closeShared()]);
  }
  return stopExitCode(ctx.state.terminating);
}

export interface ElementOptions {
  /** Array element index within the chunk (the scheduler's array task id). */
  index: number;
  /** Element offset of the chunk: element = offset + index. */
  offset: number;
  attempt: number;
  jobId: string | null;
  /** A resubmission (retry) runs the task ids listed in this JSON file instead of the plan's elements. */
  tasksFile?: string;
  /** Tasks per element of the listed submission (default: the plan's bundle). */
  bundle?: number;
  /**
   * Stealing (executor.array.steal): the submission's label and element count. The element claims its tasks block by
   * block under claims/<label>/ and, once its own are claimed, takes unclaimed blocks of its siblings (./claims.ts).
   */
  claims?: { label: string; elements: number };
}

/**
 * Reads the array index from the first set variable of `names` (Slurm: SLURM_ARRAY_TASK_ID; PBS Pro:
 * PBS_ARRAY_INDEX; Torque: PBS_ARRAYID — Slurm's qsub wrapper sets only the PBS Pro one).
 */
export function indexFromEnv(names: string[], env: NodeJS.ProcessEnv = process.env): number {
  for (const name of names) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name}='${v}' is not an array index`);
      return n;
    }
  }
  throw new UsageError(`none of ${names.join(', ')} is set: this script must run as an element of an array job (submit it with the scheduler)`,
  );
}

/** The element's job id, `<array job id>_<index>`, from the first set variable of `names`. */
export function jobIdFromEnv(names: string[], index: number, env: NodeJS.ProcessEnv = process.env): string | null {
  const v = names.map((n) => env[n]).find((x) => x !== undefined && x !== '');
  return v === undefined ? null : `${v}_${index}`;
}

/** How many times its expected time a block taken from a sibling must fit in what is left of the element's limit. */
const STEAL_MARGIN = 2;

/**
 * Whether an element that started at `started` (ms; the process's start, about when the scheduler's clock for the
 * element started) and has run `ran()` tasks so far has time, under a limit of `limitS` seconds (0: none), for
 * `tasks` more at the pace it has kept (its start-up included): {@link STEAL_MARGIN} times their expected time, and
 * never less than a tenth of the limit (at most 60 s), stay unspent — the scheduler's clock and the pace both wobble.
 */
export function timeLeftFor(limitS: number, ran: () => number, started: number = performance.timeOrigin, now: () => number = Date.now): (tasks: number) => boolean {
  return (tasks) => {
    if (limitS <= 0) return true;
    const elapsedS = (now() - started) / 1000;
    const perTaskS = elapsedS / Math.max(1, ran());
    return elapsedS + Math.max(STEAL_MARGIN * tasks * perTaskS, Math.min(60, limitS / 10)) <= limitS;
  };
}

/**
 * Who element `opts` is and the names it gives its files: `element`, its number across the chunks; `self`, its job id
 * as its runner has it (`pid<pid>` without one); `writer`, its record file's name (layout.ts elementWriter); `starts`,
 * its starts file's, the one the controller reads back (executor/settle.ts startsName).
 */
export function elementNames(opts: ElementOptions): { element: number; self: string; writer: string; starts: string } {
  const element = opts.offset + opts.index;
  const self = opts.jobId ?? `pid${process.pid}`;
  return { element, self, writer: elementWriter(element, opts.attempt, self, opts.tasksFile), starts: elementName(element, opts.attempt, opts.tasksFile) };
}

/** One array element: runs its bundle of tasks (`parallel` at once), or claims and steals them, and appends their records to one file. */
export async function runElement(ensembleDir: string, opts: ElementOptions): Promise<number> {
  const ctx = await context(ensembleDir, opts.jobId);
  const bundle = opts.bundle ?? ctx.plan.bundle;
  const { element, self, writer, starts: startsName } = elementNames(opts);
  const c = opts.claims;
  // an element that may run more than one task notes each as it starts it (records/starts.ts): a bundle's file opened
  // before any runs, a one-task element's that may steal only when it starts a second
  const starts = keepsStarts(bundle, c !== undefined) ? new StartsFile(ctx.layout.startsFile(startsName), element, bundle > 1) : null;
  let sliceOf: (e: number) => number[];
  if (opts.tasksFile) {
    const list = JSON.parse(await readFile(opts.tasksFile, 'utf8')) as number[];
    sliceOf = (e) => list.slice(e * bundle, (e + 1) * bundle);
  } else {
    sliceOf = (e) => elementTasks(ctx.plan, e);
  }
  let ran = 0;
  const ids = c
    ? claimedTasks({
        dir: ctx.layout.claimsDir(c.label),
        element,
        first: opts.offset,
        count: c.elements,
        sliceOf,
        bundle,
        by: opts.jobId ?? `${self}@${hostname()}`,
        mayTake: timeLeftFor(elementTimeLimit(ctx.plan.executor, opts.attempt), () => ran),
      })
    : sliceOf(element);
  const out = new RecordWriter(ctx.layout.recordFile(writer));
  // every task it took ran to its record: the start lines have nothing to tell
  let complete = false;
  try {
    const items = (function* () {
      for (const task of ids) yield { task, attempt: opts.attempt };
    })();
    const done = (rec: TaskRecord) => {
      out.write(rec);
      ran++;
    };
    await runPool(ctx, items, ctx.plan.runtime.parallel, bundle > 1, done, starts ? (task) => starts.started(task) : undefined);
    complete = ctx.state.terminating === null;
  } finally {
    out.close();
    starts?.close(complete);
    await Promise.all([scratchRemoved(), SpawnServer.closeShared()]);
  }
  // a failed task is a record, not a failed element: non-zero only when the element itself was stopped
  return stopExitCode(ctx.state.terminating);
}
