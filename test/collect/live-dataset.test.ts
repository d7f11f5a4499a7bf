// The live dataset: parts + checkpoint in-process (flush, supersede, merge, reopen), and SIGKILL of its keeper at random instants.
import t from 'tap';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { LiveDataset, startLiveDataset } from '../../src/collect/live-dataset.js';
import { readPartsCheckpoint } from '../../src/collect/parts.js';
import { type TaskRecord, endsTask } from '../../src/records/record.js';
import { selectFinal } from '../../src/records/select-final.js';
import { RecordWriter } from '../../src/records/writer.js';
import { interruptReason } from '../../src/node/child.js';
import { readPlan } from '../../src/plan/read.js';
import { cli, duckQuery } from '../helpers/ensemble.js';
import { allRecords, partsView, planned, recordsWithin, sleep, until } from '../helpers/parts.js';
import { recordLine, taskRecord } from '../helpers/records.js';

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
  t.equal(again!.ended, 30, 'finals located again from the committed offsets');
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

t.test('merges stop at maxMergedRows: big parts stay, and a task re-run later is current in the newest part', async (t) => {
  const { ens, results } = await planned(t, Array.from({ length: 24 }, (_, i) => i));
  const { layout, plan } = await readPlan(ens);
  const flushes: Array<{ merged: string[]; parts: number }> = [];
  const live = await LiveDataset.open(layout, plan, { flushMs: 0, fanIn: 2, maxMergedRows: 4, mode: 'inotify', onFlush: (f) => flushes.push(f) });
  t.ok(live);
  const file = join(results, 'e0.ndjson');
  for (let i = 0; i < 24; i++) {
    appendFileSync(file, recordLine(i === 5 ? taskRecord(5, { status: 'failed', reason: 'exit code 3', result: null, exit_code: 3 }) : taskRecord(i)));
    await live!.sync();
  }
  const cp = (await readPartsCheckpoint(layout))!;
  t.ok(flushes.some((f) => f.merged.length > 0), 'small parts were merged');
  t.ok(cp.parts.every((p) => p.rows <= 4), `no part over 4 rows (${cp.parts.map((p) => p.rows).join(' ')})`);
  t.ok(cp.parts.length >= 6, `24 rows in parts of at most 4: ${cp.parts.length} parts`);
  appendFileSync(file, recordLine(taskRecord(5, { attempt: 2 })));
  await live!.sync();
  const view = await partsView(ens);
  t.equal(view.rows.length, 24, 'one current row per task');
  t.same(view.rows.find((r) => r.task_id === 5), { task_id: 5, status: 'done', attempt: 2, reason: null }, 'the re-run is the newest row');
  t.equal(view.all.filter((r) => r.task_id === 5).length, 2, 'its old row stays in an unmerged part');
  t.equal(live!.ended, 24);
  t.equal(live!.done, 24);
  await live!.release({ removeParts: true });
});

t.test('a flush catching up on many rows writes parts of at most maxMergedRows; a rewritten record file is located again', async (t) => {
  const { ens, results } = await planned(t, Array.from({ length: 10 }, (_, i) => i));
  const { layout, plan } = await readPlan(ens);
  const flushes: Array<{ part: string | null; rows: number; parts: number }> = [];
  const errors: unknown[] = [];
  const live = await LiveDataset.open(layout, plan, { flushMs: 0, fanIn: 8, maxMergedRows: 4, mode: 'inotify', onFlush: (f) => flushes.push(f), onError: (e) => errors.push(e) });
  t.ok(live);
  const a = join(results, 'e0.ndjson');
  const b = join(results, 'e1.ndjson');
  writeFileSync(a, Array.from({ length: 10 }, (_, i) => recordLine(taskRecord(i, i === 3 ? { status: 'failed', reason: 'exit code 3', result: null, exit_code: 3 } : {}))).join(''));
  await live!.sync();
  t.same(flushes.map((f) => [f.rows, f.parts]), [[10, 3]], 'one flush of 10 rows: 3 parts (4 + 4 + 2)');
  t.same((await partsView(ens)).rows.map((r) => r.task_id), Array.from({ length: 10 }, (_, i) => i));
  // the operator rewrites e0 by hand: task 3's failure moves to e1, e0 keeps fewer lines in another order
  writeFileSync(a, [9, 8, 7, 6, 5, 4, 2, 1, 0].map((i) => recordLine(taskRecord(i, { host: 'again' }))).join(''));
  writeFileSync(b, recordLine(taskRecord(3, { status: 'failed', reason: 'exit code 3', result: null, exit_code: 3 })) + recordLine(taskRecord(3, { attempt: 2 })));
  await live!.sync();
  const view = await partsView(ens);
  t.same(errors, [], 'no error: the rewritten file was located again');
  t.same(
    view.rows.map((r) => [r.task_id, r.status, r.attempt]),
    [...selectFinal(allRecords(results)).values()].sort((x, y) => x.task - y.task).map((r) => [r.task, r.status, r.attempt]),
    'the parts view equals selectFinal over the records as they are now',
  );
  t.equal(live!.ended, 10);
  appendFileSync(a, recordLine(taskRecord(5, { attempt: 2 })));
  await live!.sync();
  t.equal((await partsView(ens)).rows.find((r) => r.task_id === 5)?.attempt, 2, 'later appends still flow');
  await live!.release({ removeParts: true });
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
  const rows = await duckQuery(
    `select count(*)::int as n, count(distinct task_id)::int as d, min(task_id)::int as lo, max(task_id)::int as hi, count(*) filter (where status = 'done')::int as done from read_parquet('${join(ens, 'dataset.parquet')}')`,
  );
  t.same(rows, [{ n: N, d: N, lo: 0, hi: N - 1, done: N }], 'the compacted dataset has each task exactly once');
  t.notOk(existsSync(join(ens, 'dataset')), 'parts removed');
});

t.test("run's live dataset (startLiveDataset) flushes at most once per 2 s: a part per record arriving every 100 ms would be 10 a second", async (t) => {
  const { ens, results } = await planned(t, Array.from({ length: 30 }, (_, i) => i));
  const { layout, plan } = await readPlan(ens);
  const at: number[] = [];
  const live = await startLiveDataset(layout, plan, { mode: 'inotify', onFlush: (f) => void (f.part !== null && at.push(Date.now())) });
  t.ok(live);
  const file = join(results, 'e0.ndjson');
  for (let i = 0; i < 30; i++) {
    appendFileSync(file, recordLine(taskRecord(i)));
    await sleep(100);
  }
  t.ok(await until(async () => (await readPartsCheckpoint(layout))?.offsets['e0.ndjson'] === readFileSync(file).length, 10_000), 'every record consumed');
  await live!.release({ removeParts: false });
  t.ok(at.length >= 2, `${at.length} parts for 30 records over ≈ 3 s`);
  for (let i = 1; i < at.length; i++) t.ok(at[i] - at[i - 1] >= 1900, `flushes ${at[i] - at[i - 1]} ms apart`);
});

/** A record as the node wrapper writes it (records/writer.ts: one write(2) per line), of `task` at `attempt`. */
function wrapperRecord(task: number, attempt: number, status: 'done' | 'failed' | 'interrupted'): TaskRecord {
  const failed = status !== 'done';
  return taskRecord(task, {
    attempt,
    status,
    reason: status === 'failed' ? 'exit code 3' : status === 'interrupted' ? interruptReason('end of input') : null,
    exit_code: status === 'failed' ? 3 : null,
    result: failed ? null : { y: task * 2, label: `t${task}` },
    stderr_tail: failed ? 'boom\n' : undefined,
    scratch: '/tmp/scratch',
  });
}

t.test('a failed row whose task is interrupted at its next attempt leaves the live dataset (as in the compacted one), merged or not, across a reopen', async (t) => {
  const { ens, results } = await planned(t, Array.from({ length: 12 }, (_, i) => i));
  const { layout, plan } = await readPlan(ens);
  const opts = { flushMs: 0, fanIn: 3, mode: 'inotify' as const };
  let live = await LiveDataset.open(layout, plan, opts);
  t.ok(live);
  const w = new RecordWriter(join(results, 'e0-a1-1_0.ndjson'));
  // tasks 2, 5 and 9 fail at attempt 1, each in a flush of its own: their failed rows end up in merged parts (fan-in 3)
  for (let i = 0; i < 12; i++) {
    w.write(wrapperRecord(i, 1, i === 2 || i === 5 || i === 9 ? 'failed' : 'done'));
    await live!.sync();
  }
  const want = async () => [...selectFinal(allRecords(results)).values()].filter(endsTask).map((r) => [r.task, r.status, r.attempt]);
  const seen = async () => (await partsView(ens)).rows.map((r) => [r.task_id, r.status, r.attempt]);
  t.same(await seen(), await want(), 'twelve rows, three failed');
  t.ok((await readPartsCheckpoint(layout))!.parts.some((p) => p.level > 0), 'the failed rows are in merged parts');
  // the retry of task 2 (attempt 2) is stopped by Ctrl-C: interrupted, the task is pending again (no row)
  const w2 = new RecordWriter(join(results, 'e0-a2-2_0.ndjson'));
  w2.write(wrapperRecord(2, 2, 'interrupted'));
  await live!.sync();
  t.same(await seen(), await want(), 'task 2 has no row: its final record is the interrupted attempt');
  t.equal(live!.failed, 2);
  // task 5 too, in a flush of its own with a new row beside it (task 9's retry succeeds)
  w2.write(wrapperRecord(5, 2, 'interrupted'));
  w2.write(wrapperRecord(9, 2, 'done'));
  await live!.sync();
  t.same(await seen(), await want(), 'task 5 has no row, task 9 its done row');
  // the keeper stops; task 2 is interrupted again while no one keeps the dataset, then resumed and done
  await live!.release({ removeParts: false });
  w2.write(wrapperRecord(11, 2, 'interrupted'));
  live = await LiveDataset.open(layout, plan, opts);
  await live!.sync();
  t.same(await seen(), await want(), 'after a reopen: task 11, done at attempt 1 and interrupted at attempt 2, has no row');
  w2.write(wrapperRecord(2, 3, 'done'));
  await live!.sync();
  t.same(await seen(), await want(), 'task 2 done at attempt 3 has its row again');
  w.close();
  w2.close();
  await live!.release({ removeParts: true });
});

t.test('a record file rewritten in place, as long or longer, is located again: later flushes go on, each task once with its current row', async (t) => {
  const { ens, results } = await planned(t, Array.from({ length: 8 }, (_, i) => i));
  const { layout, plan } = await readPlan(ens);
  const errors: unknown[] = [];
  const live = await LiveDataset.open(layout, plan, { flushMs: 0, fanIn: 2, mode: 'inotify', onError: (e) => errors.push(e) });
  t.ok(live);
  const a = join(results, 'e0-a1-1_0.ndjson');
  const w = new RecordWriter(a);
  for (let i = 0; i < 6; i++) {
    w.write(wrapperRecord(i, 1, i === 3 ? 'failed' : 'done'));
    await live!.sync();
  }
  w.close();
  const want = () => [...selectFinal(allRecords(results)).values()].filter(endsTask).map((r) => [r.task, r.status, r.attempt]);
  const seen = async () => (await partsView(ens)).rows.map((r) => [r.task_id, r.status, r.attempt]);
  // as long: a user's tool sorts the lines the other way, over the file
  const lines = readFileSync(a, 'utf8').split('\n').filter((l) => l !== '');
  writeFileSync(a, [...lines].reverse().map((l) => l + '\n').join(''));
  const b = new RecordWriter(join(results, 'e0-a2-2_0.ndjson'));
  b.write(wrapperRecord(6, 1, 'done'));
  await live!.sync();
  t.same(await seen(), want(), 'after a rewrite as long: the rows of the records as they are');
  // longer: a re-sync from another filesystem whose copy has task 3's retry (done) among the lines, not at the end
  const longer = [...lines];
  longer.splice(2, 0, JSON.stringify(wrapperRecord(3, 2, 'done')));
  writeFileSync(a, longer.map((l) => l + '\n').join(''));
  b.write(wrapperRecord(7, 1, 'failed'));
  await live!.sync();
  t.same(await seen(), want(), 'after a rewrite longer: task 3 done at attempt 2');
  t.equal((await partsView(ens)).rows.find((r) => r.task_id === 3)?.status, 'done');
  t.same([live!.done, live!.failed], [7, 1]);
  t.same((await live!.failedFinals()).map((r) => r.task), [7], 'the failed finals read back');
  b.close();
  await live!.sync();
  t.same(errors.map(String), [], 'no flush failed');
  await live!.release({ removeParts: true });
});

t.test('a record file rewritten shorter while no one keeps the live dataset: a task whose record is gone loses its committed row on reopen', async (t) => {
  const { ens, results } = await planned(t, Array.from({ length: 6 }, (_, i) => i));
  const { layout, plan } = await readPlan(ens);
  const opts = { flushMs: 0, fanIn: 8, mode: 'inotify' as const };
  let live = await LiveDataset.open(layout, plan, opts);
  t.ok(live);
  const a = join(results, 'e0-a1-1_0.ndjson');
  const w = new RecordWriter(a);
  for (let i = 0; i < 6; i++) w.write(wrapperRecord(i, 1, i === 4 ? 'failed' : 'done'));
  w.close();
  await live!.sync();
  await live!.release({ removeParts: false });
  const want = () => [...selectFinal(allRecords(results)).values()].filter(endsTask).map((r) => [r.task, r.status, r.attempt]);
  const seen = async () => (await partsView(ens)).rows.map((r) => [r.task_id, r.status, r.attempt]);
  t.same((await seen()).length, 6);
  // while the keeper is down, a user's tool drops the lines of tasks 2 and 4 (the file shrinks below its committed offset)
  const lines = readFileSync(a, 'utf8').split('\n').filter((l) => l !== '' && !/"task":[24],/.test(l));
  writeFileSync(a, lines.map((l) => l + '\n').join(''));
  live = await LiveDataset.open(layout, plan, opts);
  await live!.sync();
  t.same(await seen(), want(), 'tasks 2 and 4 have no row: their records are gone, as in the compacted dataset');
  t.same([live!.done, live!.failed], [4, 0]);
  await live!.release({ removeParts: true });
});
