import t from 'tap';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFinalIndex } from '../../src/records/final-index.js';
import type { TaskRecord } from '../../src/records/record.js';
import { ResultShapes } from '../../src/records/result-shape.js';
import { selectFinal } from '../../src/records/select-final.js';
import { doneRecord, failedRecord, shuffled } from '../collect/fixtures/ensemble.js';

/** Retries, on-behalf records, a SIGTERM refined by the scheduler, exact and near duplicates (same key, other host). */
function records(n: number): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 7 === 6) continue; // no record yet
    if (i % 7 === 0) out.push(failedRecord(i, 'exit code 1'), doneRecord(i, 2), failedRecord(i, 'exit code 2', { attempt: 3, source: 'controller' }));
    else if (i % 7 === 1) out.push(failedRecord(i, 'terminated: SIGTERM'), failedRecord(i, 'timeout: limit', { source: 'scheduler' }));
    else if (i % 7 === 2) out.push(doneRecord(i), doneRecord(i), { ...doneRecord(i), host: 'zz' }, { ...doneRecord(i), host: 'aa' });
    else if (i % 7 === 3) out.push(failedRecord(i, 'lost: no record', { source: 'controller' }), failedRecord(i, 'out of memory', { source: 'scheduler' }));
    else out.push(doneRecord(i));
  }
  return out;
}

function writeFiles(dir: string, recs: TaskRecord[], files: number): void {
  const lines: string[][] = Array.from({ length: files }, () => []);
  recs.forEach((r, i) => lines[i % files].push(JSON.stringify(r) + '\n'));
  lines.forEach((l, f) => writeFileSync(join(dir, `e${f}.ndjson`), l.join('')));
}

t.test('the located finals are the ones selectFinal picks, whatever the files and their order', async (t) => {
  const n = 300;
  const all = records(n);
  const expected = selectFinal(all);
  for (const [files, seed] of [[1, 1], [5, 2], [40, 3]]) {
    const dir = t.testdir({});
    writeFiles(dir, shuffled(all, seed), files);
    const index = await readFinalIndex(dir, n);
    const got = await index.read(0, n);
    for (let task = 0; task < n; task++) t.same(got[task], expected.get(task), `task ${task}, ${files} files`);
    t.equal(index.bad, 0);
    // a range in the middle, by task - from
    const mid = await index.read(100, 110);
    t.same(mid, Array.from({ length: 10 }, (_, i) => expected.get(100 + i)));
  }
});

t.test('bad lines are counted, a torn last line and records of other tasks are ignored, non-ASCII offsets hold', async (t) => {
  const dir = t.testdir({});
  const a = { ...doneRecord(0), host: 'nöde-ü' };
  const b = { ...doneRecord(1), result: { label: 'π ≈ 3.14' } };
  writeFileSync(join(dir, 'a.ndjson'), `${JSON.stringify(a)}\nnot json\n\n{"task": 1}\n${JSON.stringify(b)}\n${JSON.stringify(doneRecord(9))}\n`);
  appendFileSync(join(dir, 'a.ndjson'), JSON.stringify(doneRecord(2)).slice(0, 40));
  writeFileSync(join(dir, 'notes.txt'), JSON.stringify(doneRecord(2)) + '\n');
  const index = await readFinalIndex(dir, 3);
  t.equal(index.bad, 2);
  t.same(await index.read(0, 3), [{ ...a, runs: 1 }, { ...b, runs: 1 }, undefined], 'each read with its runs');
  t.same([index.has(0), index.has(2), index.doneTasks, index.failedIds()], [true, false, 2, []]);
});

t.test('a torn multi-byte character (invalid UTF-8) does not shift the records after it', async (t) => {
  const dir = t.testdir({});
  // a write cut inside "ü" (0xC3 0xBC), sealed by the next record's line: one lone 0xC3 byte
  const torn = Buffer.concat([Buffer.from('{"task":0,"attempt":1,"status":"done","host":"n'), Buffer.from([0xc3]), Buffer.from('\n')]);
  const later = [doneRecord(1), { ...doneRecord(2), host: 'nöde' }, doneRecord(3)];
  writeFileSync(join(dir, 'a.ndjson'), Buffer.concat([torn, ...later.map((r) => Buffer.from(JSON.stringify(r) + '\n'))]));
  const index = await readFinalIndex(dir, 4);
  t.equal(index.bad, 1, 'the torn line is a bad line');
  t.same(await index.read(0, 4), [undefined, ...later.map((r) => ({ ...r, runs: 1 }))], 'each later record read back from its own bytes');
});

t.test('an interrupted final counts neither done nor failed and ends no task; its next attempt does', async (t) => {
  const dir = t.testdir({});
  const recs = [doneRecord(0), failedRecord(1, 'exit code 1'), { ...doneRecord(2), status: 'interrupted' as const, reason: 'interrupted: the controller died', result: null }];
  writeFileSync(join(dir, 'a.ndjson'), recs.map((r) => JSON.stringify(r) + '\n').join(''));
  let index = await readFinalIndex(dir, 3);
  t.same([index.doneTasks, index.failedTasks, index.ended, index.has(2), index.located()], [1, 1, 2, false, [0, 1, 2]]);
  appendFileSync(join(dir, 'a.ndjson'), JSON.stringify(failedRecord(2, 'exit code 2', { attempt: 2 })) + '\n');
  index = await readFinalIndex(dir, 3);
  t.same([index.doneTasks, index.failedTasks, index.ended, index.failedIds()], [1, 2, 3, [1, 2]]);
});

t.test('an interrupted record located first loses to a record of its attempt that ran to the end, as in selectFinal', async (t) => {
  const dir = t.testdir({});
  const interrupted = { ...doneRecord(0), status: 'interrupted' as const, reason: 'interrupted: the controller died', result: null };
  // the interrupted one first: its rank (-1) kept as an unsigned byte ranked above every other record of its attempt
  writeFileSync(join(dir, 'a.ndjson'), [interrupted, doneRecord(0)].map((r) => JSON.stringify(r) + '\n').join(''));
  const index = await readFinalIndex(dir, 1);
  t.same([index.doneTasks, index.ended], [1, 1]);
  t.equal((await index.readTasks([0])).get(0)?.status, 'done');
});

t.test('a missing results directory is no records', async (t) => {
  const index = await readFinalIndex(join(t.testdir({}), 'results'), 4);
  t.same(await index.read(0, 4), [undefined, undefined, undefined, undefined]);
});

t.test('lines in other forms (whitespace, other key order, escapes) rank as JSON.parse reads them; each final has its result shape', async (t) => {
  const n = 120;
  const all = records(n).map((r, i) => (i % 5 === 0 ? { ...r, result: r.result === null ? null : { ...r.result, flag: i % 2 === 0, n: i } } : r));
  const forms = [
    (r: TaskRecord) => JSON.stringify(r),
    (r: TaskRecord) => JSON.stringify(r).replaceAll('":', '": '),
    (r: TaskRecord) => JSON.stringify(Object.fromEntries(Object.entries(r).reverse())),
    (r: TaskRecord) => JSON.stringify(r).replace('"status"', '"st\\u0061tus"'),
  ];
  const dir = t.testdir({});
  const lines = shuffled(all, 4).map((r, i) => forms[i % forms.length](r) + '\n');
  writeFileSync(join(dir, 'a.ndjson'), lines.slice(0, 200).join('') + 'not json\n{"task": 1, "attempt": 0, "status": "done"}\n');
  writeFileSync(join(dir, 'b.ndjson'), lines.slice(200).join(''));
  const index = await readFinalIndex(dir, n);
  // the finals of the records as JSON.parse reads the lines (ties are settled on that text)
  const expected = selectFinal(lines.map((l) => JSON.parse(l) as TaskRecord));
  t.same(await index.read(0, n), Array.from({ length: n }, (_, i) => expected.get(i)));
  t.equal(index.bad, 2);
  const shapes = new ResultShapes();
  for (let task = 0; task < n; task++) {
    const want = shapes.shapes[shapes.idOf(expected.get(task))];
    t.same(index.shapes.shapes[index.tags[task]], want, `task ${task}: its final's result shape`);
  }
});
