// The journal: events appended one line each with a timestamp, read back in order, torn lines skipped, retry requests gathered.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type JournalEntry, appendJournal, readJournal, retryRequests } from '../../src/journal/journal.js';

t.test('appended events are read back in order, each with an ISO timestamp', async (t) => {
  const path = join(t.testdir({}), 'journal.ndjson');
  const before = Date.now();
  appendJournal(path, { event: 'planned', tasks: 8, elements: 2, task_hash: 'abc' });
  appendJournal(path, { event: 'run_started', run: 'r1', executor: 'local', pending: 8 });
  appendJournal(path, { event: 'cancelled', job_ids: ['12', '13'] });
  const text = readFileSync(path, 'utf8');
  t.equal(text.split('\n').length, 4, 'three lines, each ending in a newline');
  const entries = await readJournal(path);
  t.same(entries.map((e) => e.event), ['planned', 'run_started', 'cancelled']);
  t.match(entries[0], { event: 'planned', tasks: 8, elements: 2, task_hash: 'abc' });
  t.same((entries[2] as Extract<JournalEntry, { event: 'cancelled' }>).job_ids, ['12', '13']);
  for (const e of entries) {
    t.match(e.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    t.ok(Date.parse(e.ts) >= before - 1000 && Date.parse(e.ts) <= Date.now(), 'the time of the append');
  }
  t.match(text, /^\{"ts":/, 'the timestamp is the first key');
});

t.test('a missing journal is an empty one', async (t) => {
  t.same(await readJournal(join(t.testdir({}), 'journal.ndjson')), []);
});

t.test('a journal that cannot be read is an error, not an empty journal', async (t) => {
  const dir = t.testdir({ 'journal.ndjson': {} });
  await t.rejects(readJournal(join(dir, 'journal.ndjson')), { code: 'EISDIR' });
});

t.test('an unterminated last line (a writer killed mid-write) is ignored', async (t) => {
  const dir = t.testdir({
    'journal.ndjson': '{"ts":"t1","event":"extended","from":0,"to":4}\n{"ts":"t2","event":"extended","from":4,"to":8}',
  });
  const entries = await readJournal(join(dir, 'journal.ndjson'));
  t.same(entries, [{ ts: 't1', event: 'extended', from: 0, to: 4 }], 'a whole JSON object without its newline is still torn');
});

t.test('after a torn line, the next append starts on a line of its own and both sides stay readable', async (t) => {
  const path = join(t.testdir({}), 'journal.ndjson');
  writeFileSync(path, '{"ts":"t1","event":"collected","rows":3,"done":3,"failed":0}\n{"ts":"t2","ev');
  appendJournal(path, { event: 'collected', rows: 4, done: 3, failed: 1 });
  const entries = await readJournal(path);
  t.same(entries.map((e) => (e as Extract<JournalEntry, { event: 'collected' }>).rows), [3, 4], 'the torn line is skipped');
  t.equal(readFileSync(path, 'utf8').split('\n').length, 4, 'the torn fragment stays one line');
});

t.test('blank lines and malformed lines in the middle are skipped', async (t) => {
  const dir = t.testdir({
    'journal.ndjson': '\n{"ts":"a","event":"cancelled","job_ids":[]}\nnot json\n\n{"ts":"b","event":"cancelled","job_ids":["1"]}\n',
  });
  t.same((await readJournal(join(dir, 'journal.ndjson'))).map((e) => e.ts), ['a', 'b']);
});

t.test('retryRequests: the [task, attempt] pairs of every retry event, oldest first', async (t) => {
  const path = join(t.testdir({}), 'journal.ndjson');
  appendJournal(path, { event: 'retry', tasks: [[3, 1], [5, 2]] });
  appendJournal(path, { event: 'extended', from: 0, to: 10 });
  appendJournal(path, { event: 'retry', tasks: [] });
  appendJournal(path, { event: 'retry', tasks: [[3, 2]] });
  t.same(retryRequests(await readJournal(path)), [[3, 1], [5, 2], [3, 2]]);
  t.same(retryRequests([]), []);
});
