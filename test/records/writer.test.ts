// RecordWriter: one JSON line per record with one write each; two writers appending to one file never interleave a line.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RecordWriter } from '../../src/records/writer.js';
import { readRecordFiles } from '../../src/records/read.js';
import { packageRoot } from '../../src/util/paths.js';
import { taskRecord } from '../helpers/records.js';

t.test('each write appends exactly one line holding the record', async (t) => {
  const path = join(t.testdir({}), 'w0.ndjson');
  const w = new RecordWriter(path);
  t.equal(w.path, path);
  const a = taskRecord(0);
  const b = taskRecord(1, { status: 'failed', reason: 'exit code 3\nwith a newline in it', result: null });
  w.write(a);
  w.write(b);
  w.close();
  const lines = readFileSync(path, 'utf8').split('\n');
  t.equal(lines.length, 3, 'two lines and the final newline');
  t.equal(lines[2], '');
  t.same(lines.slice(0, 2).map((l) => JSON.parse(l)), [a, b], 'a newline inside a value is escaped, not a line break');
});

t.test('a writer opened on a torn file starts on a new line and keeps what was there', async (t) => {
  const dir = t.testdir({ 'w0.ndjson': JSON.stringify(taskRecord(0)) + '\n{"task":1,"att' });
  const w = new RecordWriter(join(dir, 'w0.ndjson'));
  w.write(taskRecord(2));
  w.close();
  const { records, bad } = await readRecordFiles(dir);
  t.same(records.map((r) => r.task), [0, 2]);
  t.same(bad, [{ file: join(dir, 'w0.ndjson'), line: 2 }], 'the torn line stays one bad line');
});

t.test('writing after close throws', async (t) => {
  const w = new RecordWriter(join(t.testdir({}), 'w.ndjson'));
  w.close();
  t.throws(() => w.write(taskRecord(0)), { code: 'EBADF' });
});

// A child process writing `count` large records to one file, for the O_APPEND test below. It runs the built
// writer (dist/, as runCli does; `npm test` builds first): loading src/ through a TypeScript loader takes seconds.
const WRITER_SCRIPT = join(packageRoot, 'dist', 'records', 'writer.js');
const childWriter = (path: string, tag: string, count: number) =>
  spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { RecordWriter } = await import(${JSON.stringify(WRITER_SCRIPT)});
const w = new RecordWriter(${JSON.stringify(path)});
const pad = ${JSON.stringify(tag)}.repeat(20000);
for (let i = 0; i < ${count}; i++) w.write({ task: i, attempt: 1, status: 'done', reason: null, exit_code: 0, signal: null, host: ${JSON.stringify(tag)}, job_id: null, start: '', end: '', duration_s: 0, result: { pad } });
w.close();`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' } },
  );

t.test('two processes appending large records to one file: every line whole (O_APPEND)', async (t) => {
  const path = join(t.testdir({}), 'shared.ndjson');
  const count = 200;
  const children = [childWriter(path, 'a', count), childWriter(path, 'b', count)];
  const codes = await Promise.all(children.map(async (c) => (await once(c, 'exit'))[0]));
  t.same(codes, [0, 0]);
  // A writer whose lazy open saw the other's line half-copied seals it with a newline: a blank line, which readers
  // skip (readRecordFiles below). No other line may be anything but a whole record.
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  t.equal(lines.length, 2 * count);
  t.equal((await readRecordFiles(dirname(path))).records.length, 2 * count, 'the reader finds every record');
  let whole = 0;
  const seen = { a: [] as number[], b: [] as number[] };
  for (const line of lines) {
    const r = JSON.parse(line) as { task: number; host: 'a' | 'b'; result: { pad: string } };
    if (r.result.pad === r.host.repeat(20000)) whole++;
    seen[r.host].push(r.task);
  }
  t.equal(whole, 2 * count, 'no line holds bytes of the other writer');
  const inOrder = Array.from({ length: count }, (_, i) => i);
  t.same(seen, { a: inOrder, b: inOrder }, 'each writer\'s lines in its own order');
});
