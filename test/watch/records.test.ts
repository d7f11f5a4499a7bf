// RecordFollower: only the bytes appended since the last poll are read; torn lines, new files, truncation; inotify and polling.
import t from 'tap';
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FinalIndex } from '../../src/records/final-index.js';
import { FinalMarks } from '../../src/records/final-marks.js';
import type { TaskRecord } from '../../src/records/record.js';
import { RecordWriter } from '../../src/records/writer.js';
import { type FollowedBatch, RecordFollower, followFinals } from '../../src/watch/records.js';
import { recordLine, taskRecord } from '../helpers/records.js';


t.test('poll reads only what was appended: offsets, torn lines, bad lines, new files, truncation', async (t) => {
  const dir = t.testdir({ results: {} });
  const results = join(dir, 'results');
  const a = join(results, 'e0-a1.ndjson');
  const f = new RecordFollower(results);
  t.same(await f.poll(), { records: [], changed: [], bad: [], bytesRead: 0, truncated: [] }, 'an empty directory');

  writeFileSync(a, recordLine(taskRecord(0)) + recordLine(taskRecord(1)));
  const size0 = statSync(a).size;
  let b = await f.poll();
  t.same(b.records.map((r) => r.task), [0, 1]);
  t.equal(b.bytesRead, size0);
  t.same(f.offsets(), { 'e0-a1.ndjson': size0 });

  b = await f.poll();
  t.same([b.records.length, b.bytesRead], [0, 0], 'nothing new: nothing read');

  // a torn line (writer mid-write, with a multi-byte character cut in half) is read but not consumed
  const third = recordLine(taskRecord(2, { host: 'nœud-7' }));
  const buf = Buffer.from(third);
  const cut = buf.indexOf(Buffer.from('œ')) + 1;
  appendFileSync(a, buf.subarray(0, cut));
  b = await f.poll();
  t.same([b.records.length, b.bytesRead], [0, cut]);
  t.same(f.offsets(), { 'e0-a1.ndjson': size0 }, 'the offset stays before the torn line');
  appendFileSync(a, buf.subarray(cut));
  b = await f.poll();
  t.same(b.records.map((r) => [r.task, r.host]), [[2, 'nœud-7']]);
  t.equal(b.bytesRead, buf.length, 'the torn line is read again once, whole');
  t.same(f.offsets(), { 'e0-a1.ndjson': size0 + buf.length });

  // a malformed line keeps its line number in the file; a second file appears
  appendFileSync(a, 'not json\n' + recordLine(taskRecord(3)));
  writeFileSync(join(results, 'e1-a1.ndjson'), recordLine(taskRecord(4)));
  writeFileSync(join(results, 'notes.txt'), 'ignored\n');
  b = await f.poll();
  t.same(b.records.map((r) => r.task), [3, 4], 'file-name order, then line order');
  t.same(b.bad, [{ file: a, line: 4 }]);

  // a record file rewritten shorter than its offset is read again from the start
  const before = statSync(a).size;
  truncateSync(a, 0);
  writeFileSync(a, recordLine(taskRecord(9)));
  b = await f.poll();
  t.ok(statSync(a).size < before);
  t.same(b.truncated, ['e0-a1.ndjson']);
  t.same(b.records.map((r) => r.task), [9]);
});

t.test('a follower resumed from offsets reads only later bytes; readConsumed gives back the earlier records', async (t) => {
  const dir = t.testdir({ results: {} });
  const a = join(dir, 'results', 'w.ndjson');
  let text = '';
  for (let i = 0; i < 2000; i++) text += recordLine(taskRecord(i));
  writeFileSync(a, text);
  const checkpoint = Buffer.byteLength(text);
  appendFileSync(a, recordLine(taskRecord(2000)) + recordLine(taskRecord(2001)));
  const f = new RecordFollower(join(dir, 'results'), { offsets: { 'w.ndjson': checkpoint } });
  const b = await f.poll();
  t.same(b.records.map((r) => r.task), [2000, 2001]);
  t.equal(b.bytesRead, statSync(a).size - checkpoint, `read ${b.bytesRead} bytes of a ${statSync(a).size}-byte file`);
  const f2 = new RecordFollower(join(dir, 'results'), { offsets: { 'w.ndjson': checkpoint } });
  const old = await f2.readConsumed();
  t.equal(old.records.length, 2000);
  t.same(f2.offsets(), { 'w.ndjson': checkpoint }, 'readConsumed moves no offset');
  t.same((await f2.poll()).records.map((r) => r.task), [2000, 2001]);
});

for (const mode of ['inotify', 'poll'] as const) {
  t.test(`watching (${mode}): new records arrive promptly, and every byte is read exactly once`, async (t) => {
    const dir = t.testdir();
    const results = join(dir, 'results'); // created by the follower
    const f = new RecordFollower(results, { mode, pollMs: 100 });
    const batches: Array<FollowedBatch & { at: number }> = [];
    const plan = await f.start((b) => {
      batches.push({ ...b, at: Date.now() });
    });
    t.equal(plan.mode, mode);
    mkdirSync(results, { recursive: true });
    const latencies: number[] = [];
    let total = 0;
    for (let i = 0; i < 12; i++) {
      const file = join(results, `e${i % 3}.ndjson`);
      const l = recordLine(taskRecord(i));
      const sentAt = Date.now();
      appendFileSync(file, l);
      total += Buffer.byteLength(l);
      const seen = () => batches.some((b) => b.records.some((r) => r.task === i));
      while (!seen() && Date.now() - sentAt < 3000) await new Promise((r) => setTimeout(r, 5));
      t.ok(seen(), `record ${i} delivered`);
      latencies.push(batches.find((b) => b.records.some((r) => r.task === i))!.at - sentAt);
    }
    // a burst into one file: chokidar drops change events within 50 ms of the previous one
    const burstFile = join(results, 'burst.ndjson');
    const burstAt = Date.now();
    for (let i = 12; i < 40; i++) {
      const l = recordLine(taskRecord(i));
      appendFileSync(burstFile, l);
      total += Buffer.byteLength(l);
      await new Promise((r) => setTimeout(r, 3));
    }
    const has39 = () => batches.some((b) => b.records.some((r) => r.task === 39));
    while (!has39() && Date.now() - burstAt < 3000) await new Promise((r) => setTimeout(r, 5));
    t.ok(has39(), `the last record of a burst arrives (${Date.now() - burstAt} ms after the burst began)`);
    await f.close();
    const all = batches.flatMap((b) => b.records.map((r) => r.task));
    t.same(all, [...Array(40).keys()], 'each record once, in order');
    t.equal(batches.reduce((n, b) => n + b.bytesRead, 0), total, 'bytes read = bytes appended: no file was read twice');
    const offsets = f.offsets();
    t.equal(Object.values(offsets).reduce((a, b) => a + b, 0), total);
    t.comment(`${mode}: latencies in order ${latencies.join(" ")}`);
    latencies.sort((a, b) => a - b);
    t.comment(`${mode}: delivery latency median ${latencies[6]} ms, max ${latencies[11]} ms`);
    t.ok(latencies[11] < (mode === 'inotify' ? 500 : 1500), `max latency ${latencies[11]} ms`);
  });
}

t.test('followFinals: the final records each call changed, read back whole; any task\'s on demand', async (t) => {
  const results = join(t.testdir({ results: {} }), 'results');
  const follow = followFinals(results, 3);
  const changes: TaskRecord[][] = [];
  const poll = () => follow.poll((finals) => void changes.push(finals));
  const two = taskRecord(2);
  const failed = taskRecord(0, { status: 'failed', reason: 'exit code 1', result: null });
  // task 7 is outside the plan's 3 tasks (a stray file in results/)
  writeFileSync(join(results, 'e0-a1.ndjson'), recordLine(two) + recordLine(failed) + recordLine(taskRecord(7)));
  t.equal(await poll(), 2);
  t.same(changes, [[{ ...failed, runs: 1 }, { ...two, runs: 1 }]], 'ascending by task, with their results and runs; the stray task ignored');
  t.equal(await poll(), 0, 'nothing new: no call');
  t.equal(changes.length, 1);
  appendFileSync(join(results, 'e0-a1.ndjson'), recordLine(taskRecord(0, { attempt: 2 })) + recordLine(two));
  t.equal(await poll(), 1);
  t.same(changes[1].map((r) => [r.task, r.attempt]), [[0, 2]], 'a later attempt changes task 0; the same record of task 2 read again changes nothing');
  t.same([...(await follow.read([2, 1, 0])).entries()].map(([task, r]) => [task, r.attempt, r.result]).sort(), [[0, 2, taskRecord(0).result], [2, 1, two.result]], 'read: the tasks that have a final record, as they are now');
});

t.test('followFinals with record files rewritten by hand while the loop runs: no crash, and no attempt forgotten', async (t) => {
  const results = join(t.testdir({ results: {} }), 'results');
  const follow = followFinals(results, 3);
  // what the batch loop keeps (BatchRun.readFinals)
  const marks = new FinalMarks(3);
  const poll = () => follow.poll((rs) => void rs.forEach((r) => marks.set(r)));
  writeFileSync(join(results, 'a.ndjson'), recordLine(taskRecord(0, { status: 'failed', reason: 'exit code 1', result: null })));
  writeFileSync(join(results, 'b.ndjson'), recordLine(taskRecord(0, { attempt: 2 })) + recordLine(taskRecord(1)));
  await poll();
  t.match(marks.get(0), { attempt: 2, status: 'done' });
  // b.ndjson loses attempt 2 of task 0 (it shrank): the files now say attempt 1 failed, which would be owed an attempt 2
  // that a submission already ran (the loop would wait for it forever)
  writeFileSync(join(results, 'b.ndjson'), recordLine(taskRecord(1)));
  await poll();
  t.match(marks.get(0), { attempt: 2, status: 'done' }, 'the kept final does not go back to attempt 1');

  // c.ndjson rewritten to the same length with another task's record: task 2 is no longer where it was located
  const two = taskRecord(2);
  writeFileSync(join(results, 'c.ndjson'), recordLine(two));
  await poll();
  writeFileSync(join(results, 'c.ndjson'), recordLine({ ...two, task: 1 }));
  t.same([...(await follow.read([2, 1])).keys()], [1], 'read: what can be read back (settle writes its record without the lost one)');
  await t.resolves(poll(), 'a poll after it goes on');
  rmSync(join(results, 'c.ndjson'));
  t.same([...(await follow.read([1, 2])).keys()], [1], 'a record file removed by hand: its records are left out (task 1 is also in b.ndjson)');
});

t.test('a record file rewritten in place (as long, or longer) or replaced is read again from the start: every record located again', async (t) => {
  const results = join(t.testdir({ results: {} }), 'results');
  const a = join(results, 'e0-a1.ndjson');
  const index = new FinalIndex(8, []);
  const f = new RecordFollower(results, { index });
  const finals = async () => [...(await index.readTasks([0, 1, 2, 3, 4, 5, 6, 7])).values()].sort((x, y) => x.task - y.task).map((r) => [r.task, r.attempt, r.host]);
  const w = new RecordWriter(a);
  for (const i of [0, 1, 2, 3]) w.write(taskRecord(i));
  w.close();
  let b = await f.poll();
  t.same(await finals(), [[0, 1, 'n1'], [1, 1, 'n1'], [2, 1, 'n1'], [3, 1, 'n1']]);
  const size = statSync(a).size;

  // as long: the same lines sorted the other way by a user's tool, written over the file (same inode)
  writeFileSync(a, [3, 2, 1, 0].map((i) => recordLine(taskRecord(i))).join(''));
  t.equal(statSync(a).size, size);
  b = await f.poll();
  t.same(b.truncated, ['e0-a1.ndjson'], 'the rewrite is seen though nothing was appended');
  t.same(await finals(), [[0, 1, 'n1'], [1, 1, 'n1'], [2, 1, 'n1'], [3, 1, 'n1']], 'each final record read back from where it is now');

  // longer: a re-sync from another filesystem's copy, which has a field more on each line and a later record of task 1
  const resynced = [0, 1, 2, 3].map((i) => recordLine(taskRecord(i, { host: 'n1-resynced' })));
  resynced.splice(2, 0, recordLine(taskRecord(1, { attempt: 2, host: 'n2' })));
  writeFileSync(a, resynced.join('') + recordLine(taskRecord(4)));
  b = await f.poll();
  t.same(b.truncated, ['e0-a1.ndjson'], 'the rewrite is seen though the file grew');
  t.equal(index.bad, 0, 'no line read from the middle');
  t.same(await finals(), [[0, 1, 'n1-resynced'], [1, 2, 'n2'], [2, 1, 'n1-resynced'], [3, 1, 'n1-resynced'], [4, 1, 'n1']]);
  t.same(f.offsets(), { 'e0-a1.ndjson': statSync(a).size });

  // replaced: written to a temp name and renamed over it (rsync), the same length again
  const tmp = join(results, '.e0-a1.ndjson.tmp');
  writeFileSync(tmp, [4, 3, 2, 1, 0].map((i) => recordLine(taskRecord(i, { host: i === 1 ? 'n2' : 'n1-resynced', attempt: i === 1 ? 2 : 1 }))).join('') + recordLine(taskRecord(5)));
  renameSync(tmp, a);
  b = await f.poll();
  t.same(b.truncated, ['e0-a1.ndjson'], 'a file replaced by a rename is read again');
  t.same((await finals()).map(([task, attempt]) => [task, attempt]), [[0, 1], [1, 2], [2, 1], [3, 1], [4, 1], [5, 1]]);

  // a file touched without a change is no rewrite; nor are appends, whatever their size
  utimesSync(a, new Date(), new Date(Date.now() + 5000));
  b = await f.poll();
  t.same([b.truncated, b.changed, b.bytesRead], [[], [], 0], 'touched: its last bytes are as they were');
  appendFileSync(a, recordLine(taskRecord(6)));
  b = await f.poll();
  t.same([b.truncated, b.changed], [[], [6]]);
  appendFileSync(a, recordLine(taskRecord(7)).repeat(300));
  b = await f.poll();
  t.same([b.truncated, b.changed.length], [[], 1], 'task 7 changed once: its first record is final (earliest end), the copies tie');
});

t.test('a line with bytes that are no UTF-8 moves the offset by its bytes: the next poll reads only what follows', async (t) => {
  const results = join(t.testdir({ results: {} }), 'results');
  const a = join(results, 'e0-a1.ndjson');
  const f = new RecordFollower(results);
  // a Latin-1 host name (a user's tool wrote it): one byte each, three once decoded (U+FFFD)
  writeFileSync(a, Buffer.concat([Buffer.from(recordLine(taskRecord(0)).replace('"n1"', '"n\xe9\xe9"'), 'latin1'), Buffer.from(recordLine(taskRecord(1)))]));
  let b = await f.poll();
  t.same(b.records.map((r) => r.task), [0, 1]);
  t.same(f.offsets(), { 'e0-a1.ndjson': statSync(a).size });
  appendFileSync(a, recordLine(taskRecord(2)));
  b = await f.poll();
  t.same([b.records.map((r) => r.task), b.truncated], [[2], []], 'only the new record');
});
