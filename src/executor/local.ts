// The embedded local executor: a pool of task-wrapper worker processes fed work items over stdin.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import type { TaskRecord } from '../records/record.js';
import { type RetryPolicy, type WorkItem, owedAttempt } from '../records/owed.js';
import { RecordWriter } from '../records/writer.js';

export interface LocalRunOptions {
  workers: number;
  /** Distinguishes the record files of this run from those of earlier runs. */
  runId: string;
  onRecord?: (rec: TaskRecord) => void;
  /** Decides whether a failed attempt gets another one. */
  policy: RetryPolicy;
  /** When aborted, no new task starts; running tasks finish and are recorded. */
  signal?: AbortSignal;
}


interface Worker {
  proc: ChildProcess;
  current: WorkItem | null;
  exited: boolean;
}

/**
 * Runs `items` on this machine with `workers` worker processes. A worker that dies mid-task (OOM killer,
 * SIGKILL) leaves that task with a controller-written `lost` record, and a fresh worker takes its place.
 */
export async function runLocal(layout: EnsembleLayout, plan: PlanFile, items: WorkItem[], opts: LocalRunOptions): Promise<void> {
  const queue = [...items];
  let lostWriter: RecordWriter | null = null;
  let spawned = 0;
  // workers that died in a row without returning a record: a broken installation, not a broken task
  let barrenDeaths = 0;
  const workers = new Set<Worker>();

  return new Promise<void>((resolve, reject) => {
    const finishIfIdle = () => {
      const stop = queue.length === 0 || opts.signal?.aborted;
      if (!stop) return;
      for (const w of workers) if (!w.current && w.proc.stdin?.writable) w.proc.stdin.end();
      if ([...workers].every((w) => w.exited)) {
        lostWriter?.close();
        resolve();
      }
    };

    const feed = (w: Worker) => {
      if (opts.signal?.aborted || w.exited) return finishIfIdle();
      const item = queue.shift();
      if (!item) return finishIfIdle();
      w.current = item;
      w.proc.stdin?.write(JSON.stringify(item) + '\n');
    };

    const onRecord = (rec: TaskRecord) => {
      opts.onRecord?.(rec);
      const next = owedAttempt(rec, opts.policy);
      if (next !== null) queue.push({ task: rec.task, attempt: next });
    };

    const start = () => {
      const writer = `local-${opts.runId}-w${spawned++}`;
      const logFd = openSync(join(layout.logsDir, `${writer}.log`), 'a');
      const proc = spawn(plan.node, [plan.arrayflow, 'task', layout.root, '--worker', '--writer', writer], {
        stdio: ['pipe', 'pipe', logFd],
      });
      closeSync(logFd);
      const w: Worker = { proc, current: null, exited: false };
      workers.add(w);
      proc.stdin?.on('error', () => undefined); // EPIPE when the worker died: handled by 'exit'
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        let rec: TaskRecord;
        try {
          rec = JSON.parse(line) as TaskRecord;
        } catch {
          return; // not a record (the simulation cannot write here: its stdout goes to scratch)
        }
        w.current = null;
        barrenDeaths = 0;
        onRecord(rec);
        feed(w);
      });
      proc.on('error', (err) => reject(err));
      proc.on('exit', (code, signal) => {
        w.exited = true;
        const hadTask = w.current !== null;
        if (w.current) {
          const now = new Date().toISOString();
          const rec: TaskRecord = {
            task: w.current.task,
            attempt: w.current.attempt,
            status: 'failed',
            reason: `lost: the task wrapper process died (${signal ? `signal ${signal}` : `exit code ${code}`}) while running this task; see ${join('logs', `${writer}.log`)}`,
            exit_code: null,
            signal: signal ?? null,
            host: hostname(),
            job_id: null,
            start: now,
            end: now,
            duration_s: 0,
            result: null,
            source: 'controller',
          };
          lostWriter ??= new RecordWriter(layout.recordFile(`controller-${opts.runId}`));
          lostWriter.write(rec);
          w.current = null;
          onRecord(rec);
        }
        if (!hadTask && code !== 0 && ++barrenDeaths > 3) {
          queue.length = 0;
          reject(new Error(`task workers keep dying (last: ${signal ?? `exit code ${code}`}); see ${join(layout.logsDir, `${writer}.log`)}`));
          return;
        }
        if (queue.length > 0 && !opts.signal?.aborted && [...workers].filter((x) => !x.exited).length < opts.workers) feed(start());
        finishIfIdle();
      });
      return w;
    };

    opts.signal?.addEventListener('abort', finishIfIdle);
    const n = Math.max(1, Math.min(opts.workers, queue.length));
    if (queue.length === 0) return resolve();
    for (let i = 0; i < n; i++) feed(start());
  });
}
