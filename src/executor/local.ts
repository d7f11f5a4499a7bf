// The embedded local executor: a pool of task-wrapper worker processes fed work items over stdin.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Caps } from '../config/types.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { parseRecordLine } from '../records/line.js';
import { failedOnBehalf } from '../records/on-behalf.js';
import type { TaskRecord } from '../records/record.js';
import { type RetryPolicy, type WorkItem, WORKER_READY, owedAttempt } from '../records/owed.js';
import { readStderrTail } from '../records/tail.js';
import { RecordWriter } from '../records/writer.js';
import type { Logger } from '../util/log.js';
import { CapsGate, type Load } from './caps.js';
import { cancelJobs, writeCancelled } from './cancel.js';
import { EnsembleError } from '../errors.js';
import { WRAPPER_NODE_FLAGS, arrayflowBin } from '../util/paths.js';

export interface LocalRunOptions {
  workers: number;
  /** Distinguishes the record files of this run from those of earlier runs. */
  runId: string;
  onRecord?: (rec: TaskRecord) => void;
  /** Decides whether a failed attempt gets another one. */
  policy: RetryPolicy;
  /** When aborted, no new task starts; running tasks are stopped and recorded `interrupted` (the next run runs them again). */
  signal?: AbortSignal;
  /** The pids of the live workers, each time one starts (the controller lock lists them: they outlive a crashed controller briefly). */
  onWorkers?: (pids: number[]) => void;
  /** executor.caps: no task starts while the machine is above them (./caps.ts); `load` reads the machine (tests inject one). */
  caps?: Caps;
  load?: () => Load;
  log?: Logger;
  /**
   * Whether `arrayflow cancel` stopped this controller (journal/cancel.ts), asked every second: then no task starts, the
   * running ones are stopped as on an interrupt, and every task not done gets a `cancelled` record instead.
   */
  cancelRequested?: () => Promise<boolean>;
  /**
   * The program the workers run: this arrayflow under this Node (default). A worker speaks its controller's protocol,
   * so it is never the plan's `arrayflow`, which may be another version or gone (an installation moved since `plan`).
   */
  worker?: { node: string; cli: string };
}


interface Worker {
  proc: ChildProcess;
  /** Items sent and not yet recorded, in order: the first is running, the rest wait in the worker's stdin queue. */
  sent: WorkItem[];
  /** Items to keep sent: 1, or {@link DEPTH} while its tasks are short. */
  depth: number;
  exited: boolean;
  /** Waiting at the caps gate for its next item. */
  waiting: boolean;
  /** It said {@link WORKER_READY}: it read the plan and can run tasks. One that dies before had started none. */
  ready: boolean;
}

/**
 * Items a worker holds at once while its tasks are short: the running one and the next, so that it does not
 * wait for a round trip to the controller between two tasks (≈ 2-5 ms per task on a busy machine). Long tasks
 * get one at a time: an item queued behind an hour-long task would wait while another worker idles.
 */
const DEPTH = 2;
const SHORT_TASK_S = 1;

/** How often a local run reads the cancel request (ms). */
const CANCEL_CHECK_MS = 1000;

/** A worker that ended by itself (EOF, SIGTERM handled: exit code 128 + n), not killed or crashed. */
const gracefulExit = (code: number | null, signal: NodeJS.Signals | null) => signal === null && (code === 0 || (code !== null && code > 128));

/**
 * Runs `items` on this machine with `workers` worker processes (the array is taken over: emptied as tasks start). A worker that dies mid-task (OOM killer,
 * SIGKILL) leaves that task with a controller-written `lost` record, and a fresh worker takes its place;
 * the item it held queued behind that task had not started and goes back to the queue.
 *
 * Workers run in their own session, so neither Ctrl-C on the terminal nor a kill of the controller's process group
 * reaches them: they stop on the end of their stdin instead, which the controller closes when it is done or
 * interrupted and the kernel closes when the controller dies by any signal. A worker then stops its simulation (its
 * process group: SIGTERM, SIGKILL after a grace), records the task `interrupted` and exits, so no simulation
 * outlives the controller (Linux's PR_SET_PDEATHSIG would do it for direct children only, and Node has no binding).
 */
export async function runLocal(layout: EnsembleLayout, items: WorkItem[], opts: LocalRunOptions): Promise<void> {
  // the queue is `items` itself (taken over, emptied as tasks start): no second array of a million items
  const queue = items;
  let lostWriter: RecordWriter | null = null;
  let spawned = 0;
  // workers that died in a row without returning a record: a broken installation, not a broken task
  let barrenDeaths = 0;
  const workers = new Set<Worker>();
  const { log } = opts;
  const worker = opts.worker ?? { node: process.execPath, cli: arrayflowBin() };
  const gate = opts.caps
    ? new CapsGate(opts.caps, opts.load, {
        onHold: (why) => log?.info({ why }, 'caps: holding back the next task'),
        onRelease: (waitedMs) => log?.info({ waited_ms: waitedMs }, 'caps: the next task starts'),
      })
    : null;

  // an interrupt (opts.signal) or a cancel stops the workers alike; a cancel then records what they did not finish
  const halt = new AbortController();
  const ending = opts.signal ? AbortSignal.any([opts.signal, halt.signal]) : halt.signal;
  let cancelled = false;
  /** Attempts a cancel stopped while they ran (their workers recorded them `interrupted`). */
  const stopped: TaskRecord[] = [];
  let cancelCheck: NodeJS.Timeout | undefined;

  const run = new Promise<void>((resolve, reject) => {
    // the run stopped on an error (a refused write: records/storage.ts): no more work, and no `lost` record is owed
    let failed = false;
    const stop = (e: unknown) => {
      if (failed) return;
      failed = true;
      queue.length = 0;
      reject(e);
      finishIfIdle();
    };
    const finishIfIdle = () => {
      const aborted = ending.aborted;
      if (queue.length > 0 && !aborted) return;
      // EOF: an idle worker exits; when aborted, a busy one finishes its current task and drops the item queued behind it
      for (const w of workers) if ((aborted || w.sent.length === 0) && w.proc.stdin?.writable) w.proc.stdin.end();
      if ([...workers].every((w) => w.exited)) {
        lostWriter?.close();
        lostWriter = null;
        if (cancelled && !failed) {
          for (const rec of writeCancelled(layout, opts.runId, queue.splice(0), stopped.splice(0))) opts.onRecord?.(rec);
        }
        resolve();
      }
    };

    const send = (w: Worker) => {
      let lines = '';
      while (!ending.aborted && !w.exited && w.sent.length < w.depth && queue.length > 0) {
        const item = queue.shift() as WorkItem;
        w.sent.push(item);
        lines += JSON.stringify(item) + '\n';
      }
      if (lines !== '') w.proc.stdin?.write(lines);
      finishIfIdle();
    };

    // with caps, each item passes the gate when its worker is free for it (depth 1): the load is read at its start
    const feed = (w: Worker) => {
      if (gate === null) return send(w);
      if (w.waiting || w.sent.length > 0 || queue.length === 0) return finishIfIdle();
      w.waiting = true;
      void gate.wait(ending).then(() => {
        w.waiting = false;
        send(w);
      });
    };

    const onRecord = (rec: TaskRecord) => {
      opts.onRecord?.(rec);
      // stopped by the cancel: recorded `cancelled` at this attempt once the workers are gone, not run again
      if (cancelled && rec.status === 'interrupted') return void stopped.push(rec);
      const next = owedAttempt(rec, opts.policy);
      if (next !== null) queue.push({ task: rec.task, attempt: next });
    };

    const start = () => {
      const writer = `local-${opts.runId}-w${spawned++}`;
      const logFd = openSync(join(layout.logsDir, `${writer}.log`), 'a');
      const proc = spawn(worker.node, [...WRAPPER_NODE_FLAGS, worker.cli, 'task', layout.root, '--worker', '--writer', writer], {
        stdio: ['pipe', 'pipe', logFd],
        detached: true,
      });
      closeSync(logFd);
      const w: Worker = { proc, sent: [], depth: 1, exited: false, waiting: false, ready: false };
      workers.add(w);
      log?.debug({ writer, worker_pid: proc.pid }, 'worker started');
      if (proc.pid !== undefined) opts.onWorkers?.([...workers].flatMap((x) => (x.exited || x.proc.pid === undefined ? [] : [x.proc.pid])));
      proc.stdin?.on('error', () => undefined); // EPIPE when the worker died: handled by 'exit'
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (line === WORKER_READY) return void (w.ready = true);
        let rec: TaskRecord;
        try {
          rec = parseRecordLine(line) as TaskRecord;
        } catch {
          return; // not a record (the simulation cannot write here: its stdout goes to scratch)
        }
        // a worker runs its items in order: the record is the first sent item's
        const i = w.sent.findIndex((x) => x.task === rec.task && x.attempt === rec.attempt);
        w.sent.splice(Math.max(i, 0), 1);
        w.depth = gate === null && rec.duration_s < SHORT_TASK_S ? DEPTH : 1;
        barrenDeaths = 0;
        try {
          onRecord(rec);
        } catch (e) {
          return stop(e);
        }
        feed(w);
      });
      proc.on('error', (err) => reject(err));
      // 'close', not 'exit': every record line the worker echoed has been read first
      proc.on('close', (code, signal) => {
        w.exited = true;
        if (failed) return finishIfIdle();
        try {
          closed(w, writer, code, signal);
        } catch (e) {
          stop(e);
        }
      });
      return w;
    };

    /**
     * A worker ended: the task it was running is `lost` unless it exited by itself or never got ready (it could not
     * start: an unreadable plan, a broken environment); the others go back to the queue.
     */
    const closed = (w: Worker, writer: string, code: number | null, signal: NodeJS.Signals | null) => {
      const unrecorded = w.sent.splice(0);
      // a worker that was killed or crashed was running the first of them; a graceful one had started none
      const lost = gracefulExit(code, signal) || !w.ready ? null : (unrecorded.shift() ?? null);
      queue.unshift(...unrecorded);
      const hadTask = lost !== null;
      if (lost) {
        // the same builder as every record written on a task's behalf: its times are when this was noticed (`times: noticed`)
        const rec = failedOnBehalf(null, {
          task: lost.task,
          attempt: lost.attempt,
          reason: `lost: the task wrapper process died (${signal ? `signal ${signal}` : `exit code ${code}`}) while running this task; see ${join('logs', `${writer}.log`)}`,
          signal: signal ?? null,
          source: 'controller',
          job_id: null,
          // the worker's own stderr (its crash, if it said anything): the simulation's is in the scratch it left
          stderr_tail: readStderrTail(join(layout.logsDir, `${writer}.log`)),
        });
        log?.warn({ writer, task: lost.task, attempt: lost.attempt, code, signal }, 'worker died while running a task: recorded lost');
        lostWriter ??= new RecordWriter(layout.recordFile(`controller-${opts.runId}`));
        lostWriter.write(rec);
        onRecord(rec);
      }
      // one that ended before it was ready ran nothing, however it ended (exit 0 included): four in a row are a broken
      // installation or environment, not a broken task
      const barren = !hadTask && (!w.ready || !gracefulExit(code, signal));
      if (barren && !ending.aborted && ++barrenDeaths > 3) {
        queue.length = 0;
        const logFile = join(layout.logsDir, `${writer}.log`);
        const said = readStderrTail(logFile);
        reject(new EnsembleError(`task workers keep dying${w.ready ? '' : ' before running a task'} (last: ${signal ?? `exit code ${code}`}); see ${logFile}${said ? `:\n${said}` : ''}`));
        return;
      }
      if (queue.length > 0 && !ending.aborted && [...workers].filter((x) => !x.exited).length < opts.workers) feed(start());
      finishIfIdle();
    };

    ending.addEventListener('abort', finishIfIdle);
    const n = Math.max(1, Math.min(opts.workers, queue.length));
    if (queue.length === 0) return resolve();
    if (opts.cancelRequested) {
      let asking = false;
      cancelCheck = setInterval(() => {
        if (asking || cancelled || ending.aborted) return;
        asking = true;
        void (async () => {
          try {
            if (!(await opts.cancelRequested?.())) return;
            cancelled = true;
            await cancelJobs(null, [], layout, opts.runId, log);
            halt.abort();
          } catch (e) {
            stop(e);
          } finally {
            asking = false;
          }
        })();
      }, CANCEL_CHECK_MS);
    }
    for (let i = 0; i < n; i++) feed(start());
  });
  return run.finally(() => clearInterval(cancelCheck));
}
