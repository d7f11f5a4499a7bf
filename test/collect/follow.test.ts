// The live dataset: parts + checkpoint in-process, `collect --follow` through the CLI (inotify, polling), and SIGKILL at random instants.
import t, { type Test } from 'tap';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { execa } from 'execa';
import { FinalState } from '../../src/records/final-state.js';
import { isComplete } from '../../src/collect/follow.js';
import { LiveDataset } from '../../src/collect/live-dataset.js';
import { readPartsCheckpoint } from '../../src/collect/parts.js';
import { retryPolicy } from '../../src/records/owed.js';
import { readDatasetParquet } from '../../src/collect/parquet.js';
import { selectFinal } from '../../src/records/select-final.js';
import { readPlan } from '../../src/plan/read.js';
import type { TaskRecord } from '../../src/records/record.js';
import { behaveConfig, cli, runCli, writeConfig } from '../helpers/ensemble.js';
import { recordLine, taskRecord } from '../helpers/records.js';

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
  } finally {
    c.closeSync();
  }
}

/**
 * The committed parts as one table: each task's row from the newest part holding it (the reader's rule).
 * A merge may delete a listed part between reading parts.json and the parts: then read again, as a reader must.
 */
async function partsView(ens: string): Promise<{ rows: Record<string, unknown>[]; all: Record<string, unknown>[]; offsets: Record<string, number> }> {
  for (let tries = 1; ; tries++) {
    try {
      return await partsViewOnce(ens);
    } catch (e) {
      if (tries >= 5 || !/No files found/.test((e as Error).message)) throw e;
    }
  }
}

async function partsViewOnce(ens: string): Promise<{ rows: Record<string, unknown>[]; all: Record<string, unknown>[]; offsets: Record<string, number> }> {
  const layoutDir = join(ens, 'dataset');
  const cp = JSON.parse(readFileSync(join(layoutDir, 'parts.json'), 'utf8'));
  if (cp.parts.length === 0) return { rows: [], all: [], offsets: cp.offsets };
  const files = cp.parts.map((p: { name: string }) => `'${join(layoutDir, `${p.name}.parquet`)}'`).join(', ');
  const from = `read_parquet([${files}], filename = true, union_by_name = true)`;
  const all = await query(`select task_id, status, attempt, filename from ${from} order by task_id, filename`);
  const rows = await query(
    `select task_id, status, attempt, reason from ${from} qualify row_number() over (partition by task_id order by filename desc) = 1 order by task_id`,
  );
  return { rows, all, offsets: cp.offsets };
}


/** Records in the first `offsets[file]` bytes of each record file. */
function recordsWithin(results: string, offsets: Record<string, number>): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (const [name, off] of Object.entries(offsets)) {
    const text = readFileSync(join(results, name)).subarray(0, off).toString('utf8');
    for (const l of text.split('\n')) {
      if (l === '') continue;
      try {
        out.push(JSON.parse(l) as TaskRecord);
      } catch {
        // a torn line later terminated: not a record
      }
    }
  }
  return out;
}

function allRecords(results: string): TaskRecord[] {
  const offsets: Record<string, number> = {};
  for (const n of readdirSync(results)) {
    const buf = readFileSync(join(results, n));
    offsets[n] = buf.lastIndexOf(0x0a) + 1;
  }
  return recordsWithin(results, offsets);
}

async function planned(t: Test, xs: number[]): Promise<{ dir: string; ens: string; results: string }> {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ modes: ['ok'], xs }));
  const r = await runCli(['plan', config]);
  t.equal(r.exitCode, 0, r.stderr);
  const ens = join(dir, 'ens');
  const results = join(ens, 'results');
  mkdirSync(results, { recursive: true });
  return { dir, ens, results };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean | Promise<boolean>, ms: number, step = 10): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(step);
  }
  return cond();
}

t.test('isComplete: every task has a final record; while a controller runs, none may still change', async (t) => {
  const s = new FinalState(3);
  s.add([taskRecord(0), taskRecord(1, { status: 'failed', reason: 'exit code 3', result: null })]);
  t.notOk(isComplete(s, 3, null), 'task 2 has no record');
  s.add([taskRecord(2, { status: 'failed', reason: 'timeout: 60 s', result: null })]);
  t.ok(isComplete(s, 3, null), 'no controller: nothing will change');
  t.notOk(isComplete(s, 3, retryPolicy(1, ['timeout'])), 'a controller runs and owes task 2 a retry (retry_on: timeout)');
  t.notOk(isComplete(s, 3, retryPolicy(1, ['timeout'], [[1, 1]])), '... and task 1 one asked for by hand');
  s.add([taskRecord(2, { attempt: 2 })]);
  t.ok(isComplete(s, 3, retryPolicy(1, ['timeout'])), 'exit code 3 is not retried automatically under retry_on');
  s.add([taskRecord(0, { status: 'failed', reason: 'terminated: the task wrapper received SIGTERM', attempt: 2, result: null })]);
  t.notOk(isComplete(s, 3, retryPolicy(0, ['timeout'])), 'a terminated record waits for the scheduler');
});

t.test('in-process: flushes commit parts, a changed final supersedes its row, merging keeps parts few, reopen recovers', async (t) => {
  const { ens, results } = await planned(t, Array.from({ length: 30 }, (_, i) => i));
  const { layout, plan } = await readPlan(ens);
  const flushes: Array<{ part: string | null; rows: number; merged: string[] }> = [];
  const live = await LiveDataset.open(layout, plan, { flushMs: 50, fanIn: 3, mode: 'inotify', onFlush: (f) => flushes.push(f) });
  t.ok(live);
  t.equal(await LiveDataset.open(layout, plan), null, 'a second live dataset is refused while one is kept');
  await live!.start();
  const a = join(results, 'e0.ndjson');
  const b = join(results, 'e1.ndjson');
  for (let i = 0; i < 30; i++) {
    // task 7 fails first; its retry (attempt 2) succeeds later
    appendFileSync(i % 2 ? a : b, recordLine(i === 7 ? taskRecord(7, { status: 'failed', reason: 'exit code 3', result: null, exit_code: 3 }) : taskRecord(i)));
    if (i % 5 === 4) await sleep(80);
  }
  await sleep(80);
  appendFileSync(a, recordLine(taskRecord(7, { attempt: 2 })));
  // a torn line stays unconsumed until its end arrives
  const torn = recordLine(taskRecord(29, { attempt: 2, result: { y: -1, label: 'retry' } }));
  appendFileSync(b, torn.slice(0, 20));
  t.ok(await until(async () => (await readPartsCheckpoint(layout))?.offsets['e0.ndjson'] === readFileSync(a).length, 3000), 'e0 fully consumed');
  await live!.sync();
  let view = await partsView(ens);
  t.equal(view.rows.length, 30, 'every task has a row');
  t.same(view.rows.find((r) => r.task_id === 7), { task_id: 7, status: 'done', attempt: 2, reason: null }, 'the retry supersedes the failure');
  t.equal(view.offsets['e1.ndjson'], readFileSync(b).length - 20, 'the torn line is not consumed');
  t.ok(flushes.some((f) => f.merged.length > 0), 'parts were merged');
  t.ok(view.all.length <= 31, `no task is repeated except through a changed final (${view.all.length} rows in the parts)`);
  appendFileSync(b, torn.slice(20));
  await live!.sync();
  view = await partsView(ens);
  t.equal(view.rows.find((r) => r.task_id === 29)?.attempt, 2);

  // a crash: the process dies without releasing; an orphan part and a temp file are left behind
  const cp = (await readPartsCheckpoint(layout))!;
  t.ok(cp.parts.length <= 6, `${cp.parts.length} parts after ${flushes.length} flushes`);
  const orphan = `part-${String(cp.next + 5).padStart(8, '0')}`;
  writeFileSync(join(layout.datasetDir, `${orphan}.parquet`), 'junk');
  writeFileSync(join(layout.datasetDir, `${orphan}.csv.tmp-1-abc`), 'junk');
  await live!.stop();
  writeFileSync(layout.followLock, JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: 'then' }));
  const again = await LiveDataset.open(layout, plan, { flushMs: 50, fanIn: 3, mode: 'inotify' });
  t.ok(again, 'a stale lock (dead pid) is taken over');
  t.notOk(existsSync(join(layout.datasetDir, `${orphan}.parquet`)), 'uncommitted part deleted');
  t.notOk(existsSync(join(layout.datasetDir, `${orphan}.csv.tmp-1-abc`)), 'temp file deleted');
  t.equal(again!.state.size, 30, 'finals rebuilt from the committed offsets');
  await again!.start();
  appendFileSync(a, recordLine(taskRecord(3, { attempt: 2, result: { y: 99, label: 'again' } })));
  await until(async () => (await partsView(ens)).rows.find((r) => r.task_id === 3)?.attempt === 2, 3000);
  const final = await partsView(ens);
  t.same(
    final.rows.map((r) => [r.task_id, r.status, r.attempt]),
    [...selectFinal(allRecords(results)).values()].map((r) => [r.task, r.status, r.attempt]),
    'the parts view equals selectFinal over all records',
  );
  await again!.release({ removeParts: true });
  t.notOk(existsSync(layout.datasetDir), 'parts removed');
});

t.test('collect --follow on an ensemble being run (inotify): rows committed within ~1 s, then compacted', async (t) => {
  const dir = t.testdir();
  const xs = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2];
  const config = writeConfig(dir, behaveConfig({ modes: ['sleep'], xs, executor: 'executor: { type: local, workers: 3 }' }));
  t.equal((await runCli(['plan', config])).exitCode, 0);
  const ens = join(dir, 'ens');
  const follow = execa(process.execPath, [cli, 'collect', ens, '--follow'], { reject: false, env: { ARRAYFLOW_WATCH: 'inotify' }, stdin: 'ignore' });
  let out = '';
  follow.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.ok(await until(() => out.includes('following'), 30_000), 'collect --follow started');
  t.match(out, /inotify/);
  const run = runCli(['run', config, '--no-progress']);
  // watch the committed parts: when did each task's row first appear?
  const seen = new Map<number, number>();
  const readParts = new Set<string>();
  const watcher = (async () => {
    while (seen.size < xs.length && follow.exitCode === null) {
      const cp = await readPartsCheckpoint(new (await import('../../src/layout/layout.js')).EnsembleLayout(ens));
      for (const p of cp?.parts ?? []) {
        if (readParts.has(p.name)) continue;
        readParts.add(p.name);
        const now = Date.now();
        try {
          const ids = (await readDatasetParquet(join(ens, 'dataset', `${p.name}.parquet`))).getChild('task_id')!.toArray() as Int32Array;
          for (const id of ids) if (!seen.has(id)) seen.set(id, now);
        } catch {
          readParts.delete(p.name); // merged away meanwhile: its rows are in a newer part
        }
      }
      await sleep(15);
    }
  })();
  const r = await run;
  t.equal(r.exitCode, 0, r.stderr);
  const f = await follow;
  await watcher;
  t.equal(f.exitCode, 0, f.stderr);
  t.match(f.stdout, /complete: 6 rows \(6 done, 0 failed, 0 pending\)/);
  t.notOk(existsSync(join(ens, 'dataset')), 'parts removed after compaction');
  const rows = await query(`select task_id, count(*)::int as n from read_parquet('${join(ens, 'dataset.parquet')}') group by task_id order by task_id`);
  t.same(rows.map((x) => x.n), Array(6).fill(1), 'compacted: each task once');
  const finals = selectFinal(allRecords(join(ens, 'results')));
  const lags = [...finals.values()].map((rec) => (seen.get(rec.task) ?? Infinity) - Date.parse(rec.end)).sort((a, b) => a - b);
  t.comment(`record -> committed part latency (inotify): ${lags.join(', ')} ms`);
  t.equal(seen.size, 6, 'every row was seen in a committed part before compaction');
  t.ok(lags[3] < 1000, `half the rows committed within ${lags[3]} ms of their record`);
  t.ok(lags[5] < 2500, `every row committed within ${lags[5]} ms of its record (target ~1 s; generous for a loaded host)`);
});

t.test('collect --follow with polling forced: rows still arrive, and it exits when the last task has its row', async (t) => {
  const { ens, results } = await planned(t, [1, 2, 3, 4, 5, 6]);
  const follow = execa(process.execPath, [cli, 'collect', ens, '--follow'], {
    reject: false,
    env: { ARRAYFLOW_WATCH: 'poll', ARRAYFLOW_POLL_MS: '200' },
    stdin: 'ignore',
  });
  let out = '';
  follow.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.ok(await until(() => out.includes('following'), 30_000), 'collect --follow started');
  t.match(out, /polling every 200 ms \(ARRAYFLOW_WATCH=poll\)/);
  const { EnsembleLayout } = await import('../../src/layout/layout.js');
  const layout = new EnsembleLayout(ens);
  const lags: number[] = [];
  let appended = 0;
  for (let i = 0; i < 6; i++) {
    const at = Date.now();
    const text = recordLine(taskRecord(i));
    appendFileSync(join(results, `e${i % 2}.ndjson`), text);
    appended += Buffer.byteLength(text);
    const ok = await until(async () => {
      const cp = await readPartsCheckpoint(layout);
      return cp !== null && Object.values(cp.offsets).reduce((a, b) => a + b, 0) === appended;
    }, 5000);
    if (i < 5) {
      t.ok(ok, `record ${i} committed`);
      lags.push(Date.now() - at);
    }
  }
  const f = await follow;
  t.equal(f.exitCode, 0, f.stderr);
  t.match(f.stdout, /complete: 6 rows/);
  lags.sort((a, b) => a - b);
  t.comment(`record -> committed part latency (polling every 200 ms): median ${lags[2]} ms, max ${lags[4]} ms`);
  t.ok(lags[4] < 2000);
});

t.test('SIGKILL of collect --follow at random instants while records keep coming: each task exactly once', async (t) => {
  const N = 240;
  const { ens, results } = await planned(t, Array.from({ length: N }, (_, i) => i));
  const files = ['e0.ndjson', 'e1.ndjson', 'e2.ndjson', 'e3.ndjson'].map((n) => join(results, n));
  // the writer: every task once, 1 in 8 first fails and is retried later; some lines arrive torn in two writes
  let next = 0;
  const retries: number[] = [];
  let writing = true;
  // records come while a follower runs (so every kill interrupts a stream of them), about 24 per
  // follower whatever the host's speed; the rest at the end
  let followerUp = false;
  let finishing = false;
  let quota = 0;
  let written = 0;
  const writer = (async () => {
    while (next < N || retries.length > 0) {
      if (!finishing && (!followerUp || written >= quota)) {
        await sleep(10);
        continue;
      }
      written++;
      const file = files[next % files.length];
      let text: string;
      if (retries.length > 0 && (next >= N || next % 5 === 0)) {
        text = recordLine(taskRecord(retries.shift()!, { attempt: 2 }));
      } else {
        const task = next++;
        const fails = task % 8 === 3;
        if (fails) retries.push(task);
        text = recordLine(fails ? taskRecord(task, { status: 'failed', reason: 'exit code 3', exit_code: 3, result: null }) : taskRecord(task));
      }
      if (next % 7 === 0) {
        appendFileSync(file, text.slice(0, 30));
        await sleep(4);
        appendFileSync(file, text.slice(30));
      } else appendFileSync(file, text);
      await sleep(finishing ? 1 : 25);
    }
    writing = false;
  })();
  const seed = 20240501;
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let iterations = 0;
  let committedSomething = 0;
  while (iterations < 10) {
    iterations++;
    quota += 24;
    const child = execa(process.execPath, [cli, 'collect', ens, '--follow'], { reject: false, env: { ARRAYFLOW_WATCH: 'inotify' }, stdin: 'ignore' });
    followerUp = true;
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    // every 4th kill lands during start-up (recovery: orphans deleted, finals rebuilt); the others at a random
    // instant once it follows, across flushes, commits and merges
    if (iterations % 4 === 0) await sleep(Math.floor(rand() * 1200));
    else {
      await until(() => out.includes('following'), 15_000);
      await sleep(Math.floor(rand() * 800));
    }
    child.kill('SIGKILL');
    await child;
    followerUp = false;
    if (!existsSync(join(ens, 'dataset', 'parts.json'))) continue;
    committedSomething++;
    const view = await partsView(ens);
    // the committed parts hold exactly what the committed offsets say: no row lost, none duplicated
    const upto = recordsWithin(results, view.offsets);
    const want = selectFinal(upto);
    t.same(
      view.rows.map((r) => [r.task_id, r.status, r.attempt]),
      [...want.values()].map((r) => [r.task, r.status, r.attempt]),
      `kill ${iterations}: parts = records within the checkpoint (${want.size} tasks)`,
    );
    const count = new Map<number, number>();
    for (const r of view.all) count.set(Number(r.task_id), (count.get(Number(r.task_id)) ?? 0) + 1);
    const perTask = new Map<number, number>();
    for (const r of upto) perTask.set(r.task, (perTask.get(r.task) ?? 0) + 1);
    const dup = [...count].filter(([task, n]) => n > (perTask.get(task) ?? 0));
    t.same(dup, [], `kill ${iterations}: no task has more rows than records`);
  }
  t.ok(written > N / 2 && (next < N || retries.length > 0), `kills interrupted a stream of records (${written} written by then, more to come)`);
  finishing = true;
  await writer;
  t.notOk(writing);
  t.ok(committedSomething >= 5, `${committedSomething} of ${iterations} kills left a checkpoint to check`);
  const last = await execa(process.execPath, [cli, 'collect', ens, '--follow'], { reject: false, env: { ARRAYFLOW_WATCH: 'inotify' }, stdin: 'ignore', timeout: 30_000 });
  t.equal(last.exitCode, 0, last.stderr);
  t.match(last.stdout, new RegExp(`complete: ${N} rows \\(${N} done, 0 failed, 0 pending\\)`));
  const rows = await query(
    `select count(*)::int as n, count(distinct task_id)::int as d, min(task_id)::int as lo, max(task_id)::int as hi, count(*) filter (where status = 'done')::int as done from read_parquet('${join(ens, 'dataset.parquet')}')`,
  );
  t.same(rows, [{ n: N, d: N, lo: 0, hi: N - 1, done: N }], 'the compacted dataset has each task exactly once');
  t.notOk(existsSync(join(ens, 'dataset')), 'parts removed');
});
