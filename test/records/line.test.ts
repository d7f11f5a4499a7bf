// Record lines: a result's NaN and ±Infinity survive the record file and a worker's stdout (tagged), old lines read as before.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFinalIndex } from '../../src/records/final-index.js';
import { TAGGED_VALUE, parseRecordLine, recordLine } from '../../src/records/line.js';
import { parseRecordText } from '../../src/records/parse.js';
import { readFinals, readRecordFiles } from '../../src/records/read.js';
import type { TaskRecord } from '../../src/records/record.js';
import { RecordWriter } from '../../src/records/writer.js';
import { doneRecord, failedRecord } from '../collect/fixtures/ensemble.js';

const nonFinite = (task: number): TaskRecord => ({ ...doneRecord(task), result: { y: NaN, hi: Infinity, lo: -Infinity, s: 'NaN', z: 2.5, n: null } });

t.test('a record without non-finite values is the line JSON.stringify writes (old record files read as before)', async (t) => {
  for (const r of [doneRecord(1), failedRecord(2, 'exit code 3'), { ...doneRecord(3), result: {} }]) {
    t.equal(recordLine(r), JSON.stringify(r));
    t.same(parseRecordLine(JSON.stringify(r)), r);
  }
});

t.test('NaN and ±Infinity are tagged in valid JSON and read back as those numbers, in place, keys in order', async (t) => {
  const r = nonFinite(4);
  const line = recordLine(r);
  t.match(line, '"result":{"y":{"$numberDouble":"NaN"},"hi":{"$numberDouble":"Infinity"},"lo":{"$numberDouble":"-Infinity"},"s":"NaN","z":2.5,"n":null}');
  t.equal(JSON.stringify(JSON.parse(line)), line, 'plain JSON: any JSON reader reads the line');
  t.same(Object.keys(JSON.parse(line)), Object.keys(r), 'the record keeps its key order');
  const back = parseRecordLine(line) as TaskRecord;
  t.same(back, r);
  t.ok(Object.is(back.result?.y, NaN), 'NaN, not null');
  t.same(Object.keys(back.result ?? {}), ['y', 'hi', 'lo', 's', 'z', 'n']);
  // a __proto__ result key stays a key
  const proto = { ...doneRecord(5), result: Object.fromEntries([['__proto__', NaN], ['y', 1]]) };
  const p = parseRecordLine(recordLine(proto)) as TaskRecord;
  t.ok(Object.hasOwn(p.result ?? {}, '__proto__') && Number.isNaN(p.result?.['__proto__']));
  // a string holding the tag's text stays a string
  const s = { ...doneRecord(6), result: { y: '{"$numberDouble":"NaN"}' } };
  t.same(parseRecordLine(recordLine(s)), s);
});

t.test('TAGGED_VALUE (the pattern records/scan-record.ts reads lines with) is the text recordLine writes for a tagged value, and no other', async (t) => {
  const re = new RegExp(`^${TAGGED_VALUE}$`);
  const written = Object.values(JSON.parse(recordLine(nonFinite(4))).result as Record<string, unknown>).map((v) => JSON.stringify(v));
  t.same(written.filter((v) => re.test(v)), ['{"$numberDouble":"NaN"}', '{"$numberDouble":"Infinity"}', '{"$numberDouble":"-Infinity"}']);
  for (const v of ['{"$numberDouble":"nan"}', '{"$numberDouble":"1.5"}', '{"$numberDouble":NaN}', '{"numberDouble":"NaN"}', '{"$numberDouble": "NaN"}']) t.notOk(re.test(v), v);
});

t.test('through a record file: RecordWriter, parseRecordText, readFinals and the final index (in place and parsed)', async (t) => {
  const dir = t.testdir({});
  const w = new RecordWriter(join(dir, 'w.ndjson'));
  const recs = [nonFinite(0), doneRecord(1), nonFinite(2), { ...nonFinite(3), host: 'nöde' }];
  for (const r of recs) w.write(r);
  w.close();
  const text = readFileSync(join(dir, 'w.ndjson'), 'utf8');
  const parsed = parseRecordText(text);
  t.same([parsed.bad, parsed.records], [0, recs]);
  t.same((await readRecordFiles(dir)).records, recs);
  t.same([...(await readFinals(dir)).values()].map((r) => r.result), recs.map((r) => r.result));
  const index = await readFinalIndex(dir, recs.length);
  t.same([index.bad, index.doneTasks], [0, recs.length]);
  const got = await index.read(0, recs.length);
  t.same(got.map((r) => r?.result), recs.map((r) => r.result));
  t.ok(Object.is(got[3]?.result?.y, NaN));
});
