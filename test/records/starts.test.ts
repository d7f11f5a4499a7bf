// Start lines (src/records/starts.ts): what an element's runner notes as it starts each task, and what the controller reads back.
import t from 'tap';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StartsFile, parseStarts } from '../../src/records/starts.js';
import { fillUp, mountTmpfs } from '../helpers/tmpfs.js';

t.test('a header, then one line per task as it starts; read back as the tasks started and when', async (t) => {
  const path = join(t.testdir(), 'started', 'e3-a1.ndjson');
  const before = Date.now();
  const f = new StartsFile(path, 3);
  f.started(12);
  f.started(13);
  f.close(false);
  const lines = readFileSync(path, 'utf8').split('\n');
  t.match(JSON.parse(lines[0]), { element: 3, host: String, pid: process.pid, at: String }, 'the header first (a newline before it only after a torn line: below)');
  const starts = parseStarts(readFileSync(path, 'utf8'));
  t.same([...(starts?.keys() ?? [])], [12, 13], 'created started/ (an older plan has none) and noted both');
  const at = Date.parse(starts?.get(12) as string);
  t.ok(at >= before - 1 && at <= Date.now(), 'the start is when the task was noted');
  t.equal(new Date(at).toISOString(), starts?.get(12), 'ISO-8601 UTC, as records write times');
});

t.test('an element that ran every task it took removes its file; one stopped keeps it', async (t) => {
  const dir = t.testdir({ started: {} });
  const done = new StartsFile(join(dir, 'started', 'a.ndjson'), 0);
  done.started(0);
  done.close(true);
  t.notOk(existsSync(join(dir, 'started', 'a.ndjson')));
  const stopped = new StartsFile(join(dir, 'started', 'b.ndjson'), 1);
  stopped.close(false);
  stopped.close(true);
  t.same(parseStarts(readFileSync(join(dir, 'started', 'b.ndjson'), 'utf8')), new Map(), 'a header alone: the element started no task');
  t.throws(() => stopped.started(2), { code: 'EBADF' }, 'written after close');
});

t.test('lines older than the last run: a header before `since` gives null (an earlier run of a requeued element)', async (t) => {
  const text = '{"element":2,"host":"n1","pid":7,"at":"2026-12-04T10:00:00.000Z"}\n{"task":21,"start":"2026-12-04T10:05:00.000Z"}\n';
  const tenOClock = Date.parse('2026-12-04T10:00:00.000Z');
  t.same(parseStarts(text), new Map([[21, '2026-12-04T10:05:00.000Z']]), 'no bound: the last run is the file\'s');
  t.same(parseStarts(text, tenOClock), new Map([[21, '2026-12-04T10:05:00.000Z']]), 'a header at the bound counts');
  t.equal(parseStarts(text, tenOClock + 1), null, 'a header before it is an earlier run\'s');
  t.equal(parseStarts(text, Infinity), null, 'a last run that never started has no lines');
});

t.test('no header, no knowledge: null for a missing (empty) file or lines without one', async (t) => {
  t.equal(parseStarts(''), null);
  t.equal(parseStarts('{"task":1,"start":"2026-12-04T18:45:30.000Z"}\n'), null);
});

t.test('the last run counts (a requeued element writes under the same name); torn and foreign lines are skipped', async (t) => {
  const path = join(t.testdir(), 'e.ndjson');
  writeFileSync(path, '\n{"element":0,"host":"n1","pid":1,"at":"2026-12-04T18:00:00.000Z"}\n{"task":0,"start":"2026-12-04T18:00:01.000Z"}\n{"task":1,"st');
  const again = new StartsFile(path, 0);
  again.started(0);
  again.close(false);
  appendFileSync(path, 'not json\n{"task":"2","start":"2026-12-04T18:00:01.000Z"}\n{"task":3,"start":"yesterday"}\n{"task":4,"start":"2026-12-04T19:00:00.000Z"}\n{"task":5,"sta');
  const starts = parseStarts(readFileSync(path, 'utf8'));
  t.same([...(starts?.keys() ?? [])], [0, 4], 'the second run\'s tasks only; the earlier torn line stayed a line of its own; the unterminated tail is not read');
  t.not(starts?.get(0), '2026-12-04T18:00:01.000Z', 'task 0 as the last run started it');
});

t.test('a full filesystem: a line written in part is taken back, as from a record file (util/fs.ts AppendOnlyFile)', async (t) => {
  const dir = await mountTmpfs(t, '64k');
  if (dir === null) return;
  const path = join(dir, 'e0-a1.ndjson');
  // an earlier run's lines, 20 bytes short of a page: the next header is written in part once no page is free
  const line = (pad: number) => `{"element":0,"host":"n1","pid":1,"at":"2026-12-04T18:00:00.000Z","pad":"${'x'.repeat(pad)}"}\n`;
  const earlier = line(4096 - 20 - line(0).length);
  writeFileSync(path, earlier);
  t.equal(statSync(path).size, 4096 - 20);
  fillUp(dir);
  t.throws(() => new StartsFile(path, 0), { name: 'StorageError', errno: 'ENOSPC', path });
  t.equal(readFileSync(path, 'utf8'), earlier, 'no part of the header stays');
});

t.test('a refused write is a StorageError naming the file', async (t) => {
  // /dev/full refuses every write with ENOSPC, as a full filesystem does
  t.throws(() => new StartsFile('/dev/full', 0), { name: 'StorageError', code: 'E_STORAGE', errno: 'ENOSPC', path: '/dev/full' });
});

t.test('a file opened at the second task (a one-task element that steals): none for one task, both lines for two', async (t) => {
  const dir = t.testdir();
  const one = new StartsFile(join(dir, 'started', 'one.ndjson'), 0, false);
  one.started(0);
  one.close(false);
  t.notOk(existsSync(join(dir, 'started', 'one.ndjson')), 'one task: no file, not even started/ (its start is the element\'s)');
  const two = new StartsFile(join(dir, 'started', 'two.ndjson'), 0, false);
  two.started(0);
  two.started(7);
  two.started(8);
  two.close(false);
  const starts = parseStarts(readFileSync(join(dir, 'started', 'two.ndjson'), 'utf8'));
  t.same([...(starts?.keys() ?? [])], [0, 7, 8], 'the first task noted too, at its own start');
  t.ok((starts?.get(0) ?? '') <= (starts?.get(7) ?? ''));
});

t.test('a one-task element that steals, run again (requeued) over an earlier run\'s file: its header goes first, and its file goes at a clean end', async (t) => {
  const dir = t.testdir({ started: {} });
  const path = join(dir, 'started', 'e0-a1.ndjson');
  const earlier = '{"element":0,"host":"n1","pid":1,"at":"2026-12-04T18:00:00.000Z"}\n{"task":0,"start":"2026-12-04T18:00:01.000Z"}\n{"task":7,"start":"2026-12-04T18:00:09.000Z"}\n';
  writeFileSync(path, earlier);
  const killed = new StartsFile(path, 0, false);
  killed.started(0);
  // killed here, in its first task: no close
  const starts = parseStarts(readFileSync(path, 'utf8'));
  t.same([...(starts?.keys() ?? [])], [0], 'this run started task 0 only: not task 7, which the earlier run started');
  t.not(starts?.get(0), '2026-12-04T18:00:01.000Z', 'task 0 as this run started it: its time excludes the wait in the queue');
  killed.close(false);

  writeFileSync(path, earlier);
  const clean = new StartsFile(path, 0, false);
  clean.started(0);
  clean.close(true);
  t.notOk(existsSync(path), 'an end with every task recorded removes the earlier run\'s file too');
});
