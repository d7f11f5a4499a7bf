// Reading many small files and directory listings for `collect --from` (./import.ts): hand-written, because what is
// fast depends on the filesystem. In the page cache or on a local disk an open+read+close is ~10-20 µs, and the main
// thread doing it inline beats any hand-off; on NFS or Lustre each open is a metadata round trip (~0.2-1 ms), and only
// many operations in flight on reader threads hide it. So a walk starts inline and moves to threads once it is slow.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/** One filesystem operation: `r<path>` reads a file's text, `l<path>` lists a directory (plain strings clone cheaply). */
export type Op = string;
/** Entry kinds in a listing: f file (or anything else), d directory, D symlink to a directory. */
export type EntryKind = 'f' | 'd' | 'D';
/** A file's text; a listing as names and one kind letter per name; or the error. */
export type OpResult = string | { names: string[]; kinds: string } | { error: { code?: string; message: string } };

/**
 * The body of `runOps(fs, buf, ops)`, as source text: the main thread and the reader threads evaluate the same code.
 * Synchronous calls: a thread blocked in open(2) costs nothing to the others, and the async API would take three
 * round trips through libuv's 4-thread pool per file (at 10^5 files that made the main thread the bottleneck).
 */
const RUN_OPS = `
function readText(path) {
  const fd = fs.openSync(path, 'r');
  let n;
  try { n = fs.readSync(fd, buf, 0, buf.length, 0); } finally { fs.closeSync(fd); }
  return n < buf.length ? buf.toString('utf8', 0, n) : fs.readFileSync(path, 'utf8');
}
function kind(dir, e) {
  if (e.isDirectory()) return 'd';
  if (!e.isSymbolicLink()) return 'f';
  try { return fs.statSync(dir + '/' + e.name).isDirectory() ? 'D' : 'f'; } catch { return 'f'; }
}
const out = new Array(ops.length);
for (let i = 0; i < ops.length; i++) {
  const path = ops[i].slice(1);
  try {
    if (ops[i][0] === 'r') out[i] = readText(path);
    else {
      const entries = fs.readdirSync(path, { withFileTypes: true });
      out[i] = { names: entries.map((e) => e.name), kinds: entries.map((e) => kind(path, e)).join('') };
    }
  } catch (e) {
    out[i] = { error: { code: e && e.code, message: e && e.message ? e.message : String(e) } };
  }
}
return out;
`;

/** A small file fits in one read into this buffer; a larger one is read whole. */
const READ_BUFFER = 16384;

// the same text the reader threads evaluate
const runOps = new Function('fs', 'buf', 'ops', RUN_OPS) as (f: typeof fs, buf: Buffer, ops: readonly Op[]) => OpResult[];

/** The reader threads' code (CommonJS, evaluated, so it needs no file next to the compiled module). */
const READER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const buf = Buffer.allocUnsafe(${READ_BUFFER});
const runOps = new Function('fs', 'buf', 'ops', ${JSON.stringify(RUN_OPS)});
parentPort.on('message', (ops) => parentPort.postMessage(runOps(fs, buf, ops)));
`;

// Ops per batch (inline, or a message to a thread): large enough to amortise a message, small enough to keep every thread busy.
const BATCH_OPS = 128;

/**
 * Mean wall time per op (µs; a listing counts an op per entry) above which a batch counts as slow and the walk moves to reader threads: well above
 * the page cache's and a local SSD's, well below a network filesystem's metadata round trip.
 */
export const SLOW_OP_US = 100;

/**
 * Runs `handle` on the result of every work item (`handle` may queue more), then resolves. Batches run inline on the
 * main thread until two in a row take {@link SLOW_OP_US} or more per op; then the rest runs on up to `threads` reader
 * threads started as the work grows. `slowOpUs` overrides the threshold (tests: 0 moves to threads after one batch).
 */
export async function drain<W>(
  initial: W[],
  threads: number,
  toOp: (w: W) => Op,
  handle: (w: W, r: OpResult, push: (w: W) => void) => void,
  slowOpUs = SLOW_OP_US,
): Promise<void> {
  const queue = [...initial];
  const push = (w: W) => queue.push(w);
  const buf = Buffer.allocUnsafe(READ_BUFFER);
  // one slow batch may be a pause (a major GC, a cold inode): two in a row are the filesystem
  let slowBefore = false;
  while (queue.length > 0) {
    const items = queue.splice(Math.max(0, queue.length - BATCH_OPS));
    const t = performance.now();
    const results = runOps(fs, buf, items.map(toOp));
    const us = (performance.now() - t) * 1000;
    // a listing costs about one op per entry: reading the 10^5 names of one directory is not a slow filesystem
    let ops = 0;
    for (const r of results) ops += typeof r === 'object' && 'names' in r ? Math.max(1, r.names.length) : 1;
    for (let i = 0; i < items.length; i++) handle(items[i], results[i], push);
    const slow = us / ops >= slowOpUs;
    if (slow && (slowBefore || slowOpUs === 0)) return onThreads(queue, threads, toOp, handle);
    slowBefore = slow;
  }
}

/** The rest of a walk on reader threads: `threads` operations in flight at once. */
function onThreads<W>(queue: W[], threads: number, toOp: (w: W) => Op, handle: (w: W, r: OpResult, push: (w: W) => void) => void): Promise<void> {
  const push = (w: W) => queue.push(w);
  const idle: Worker[] = [];
  const all: Worker[] = [];
  let busy = 0;
  return new Promise<void>((resolvePromise, reject) => {
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      for (const w of all) void w.terminate();
      if (err === undefined) resolvePromise();
      else reject(err);
    };
    const pump = () => {
      while (!done && queue.length > 0) {
        let worker = idle.pop();
        if (worker === undefined) {
          if (all.length >= threads) break;
          // No loaders (tap's, say) in the readers: they run plain CommonJS.
          worker = new Worker(READER_SOURCE, { eval: true, execArgv: [] });
          worker.on('error', finish);
          worker.on('exit', (code) => finish(new Error(`a reader thread exited (code ${code}) before the import finished`)));
          all.push(worker);
        }
        const items = queue.splice(Math.max(0, queue.length - BATCH_OPS));
        busy++;
        const w = worker;
        w.once('message', (results: OpResult[]) => {
          busy--;
          try {
            for (let i = 0; i < items.length; i++) handle(items[i], results[i], push);
          } catch (e) {
            finish(e);
            return;
          }
          idle.push(w);
          pump();
        });
        w.postMessage(items.map(toOp));
      }
      if (!done && busy === 0 && queue.length === 0) finish();
    };
    pump();
  });
}
