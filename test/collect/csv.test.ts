import t from 'tap';
import { makeData, makeVector, Table, tableFromArrays, TimestampSecond } from '../../src/collect/arrow.js';
import { buildDataset } from '../../src/collect/build-dataset.js';
import { csvField, isoFormatter, renderCsvChunks } from '../../src/collect/csv.js';
import type { TaskRecord } from '../../src/records/record.js';
import type { TaskRow } from '../../src/plan/tasks.js';
import { parseCsv } from '../../src/util/csv.js';
import { doneRecord, failedRecord } from './fixtures/ensemble.js';

t.test('csvField quotes only when needed', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField(''), '""');
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(csvField('line\nbreak'), '"line\nbreak"');
  t.equal(csvField('cr\r'), '"cr\r"');
  t.equal(csvField(' spaced '), ' spaced ');
});

t.test('isoFormatter matches Date#toISOString', async (t) => {
  const iso = isoFormatter();
  const samples = [0, 1, 999, 1000, 86_399_999, 86_400_000, Date.UTC(2025, 11, 31, 23, 59, 59, 999), -1, -86_400_001, 253402300799999];
  for (let i = 0; i < 2000; i++) samples.push(Math.floor(Date.UTC(2020, 0, 1) + i * 7_777_777.7));
  for (const ms of samples) t.equal(iso(ms), new Date(ms).toISOString(), String(ms));
});

const row = (id: number, params: TaskRow['params']): TaskRow => ({ id, batch: 0, seed: id, params });

t.test('a dataset renders as RFC 4180 with CRLF, empty fields for null, ISO times', async (t) => {
  const finals = new Map<number, TaskRecord>([
    [0, { ...doneRecord(0), result: { x: 0.1, s: 'a,"b"\nc', b: true, e: '' } }],
    [1, failedRecord(1, 'exit code 3, see log')],
  ]);
  const table = buildDataset([row(0, { k: 1 }), row(1, { k: 2 })], finals, ['k']);
  const text = [...renderCsvChunks(table)].join('');
  const rows = parseCsv(text);
  t.equal(rows.length, 3);
  t.same(rows[0], table.schema.fields.map((f) => f.name));
  const byName = (r: string[]): Record<string, string> => Object.fromEntries(rows[0].map((n, i) => [n, r[i]]));
  const r0 = byName(rows[1]);
  const r1 = byName(rows[2]);
  t.match(r0, { task_id: '0', k: '1', x: '0.1', s: 'a,"b"\nc', b: 'true', e: '', status: 'done', reason: '', exit_code: '0' });
  t.equal(r0.start_time, doneRecord(0).start);
  t.equal(r0.duration_s, String(doneRecord(0).duration_s));
  t.match(r1, { task_id: '1', x: '', s: '', b: '', status: 'failed', reason: 'exit code 3, see log', exit_code: '3', signal: '' });
  t.ok(text.endsWith('\r\n'));
  t.match(text, /\r\n1,0,,,2,,,,,/, 'nulls are empty, unquoted fields');
  t.match(text, /,"",/, 'the empty string is a quoted empty field');
});

t.test('chunking does not change the text', async (t) => {
  const tasks = Array.from({ length: 50 }, (_, i) => row(i, { k: i }));
  const finals = new Map(tasks.map((r) => [r.id, r.id % 4 ? doneRecord(r.id) : failedRecord(r.id, 'x')]));
  const table = buildDataset(tasks, finals, ['k']);
  const one = [...renderCsvChunks(table, 1000)].join('');
  for (const size of [1, 7, 49, 50]) t.equal([...renderCsvChunks(table, size)].join(''), one, `chunks of ${size}`);
  t.equal(parseCsv(one).length, 51);
});

t.test('numbers print in shortest round-trip form', async (t) => {
  const xs = [0.1, 1 / 3, 1e-7, 123456789012345680000, -0.5, 5e-324, 2 ** 53];
  const table = tableFromArrays({ x: Float64Array.from(xs) });
  const lines = [...renderCsvChunks(table)].join('').split('\r\n');
  t.same(lines.slice(1, -1).map(Number), xs);
  t.same(lines.slice(1, -1), xs.map(String));
});

t.test('header names are quoted when needed; a table with no rows is just the header', async (t) => {
  const table = tableFromArrays({ 'a,b': new Float64Array(0), c: new Int32Array(0) });
  t.equal([...renderCsvChunks(table)].join(''), '"a,b",c\r\n');
});

t.test('tricky numbers, nulls and int64 print as String() does; times in any unit print as ISO', async (t) => {
  const xs = [-0, 1e21, 1e-7, 5e-324, -1.7976931348623157e308, NaN, Infinity, 0.1 + 0.2, 123456.789];
  const tasks = xs.map((_, i) => row(i, { k: i }));
  const finals = new Map<number, TaskRecord>(
    tasks.map((r, i) => [r.id, { ...doneRecord(r.id), result: { x: i % 4 === 3 ? null : xs[i], big: i === 2 ? null : 2 ** 53 - i, s: 'é,"ü"' } }]),
  );
  const table = buildDataset(tasks, finals, ['k']);
  const rows = parseCsv([...renderCsvChunks(table)].join(''));
  const col = (name: string): string[] => rows.slice(1).map((r) => r[rows[0].indexOf(name)]);
  t.same(col('x'), xs.map((x, i) => (i % 4 === 3 ? '' : String(x))));
  t.same(col('x').slice(0, 2), ['0', '1e+21']);
  t.same(col('big'), xs.map((_, i) => (i === 2 ? '' : String(2 ** 53 - i))));
  t.same(col('s'), xs.map(() => 'é,"ü"'));

  const secs = BigInt64Array.from([0n, -1n, 1_700_000_000n]);
  const text = (table: Table): string[] => [...renderCsvChunks(table)].join('').split('\r\n').slice(1, -1);
  const inSeconds = new Table({ t: makeVector(makeData({ type: new TimestampSecond(), length: 3, data: secs })) });
  t.same(text(inSeconds), [0, -1000, 1_700_000_000_000].map((ms) => new Date(ms).toISOString()));
  t.same(text(tableFromArrays({ t: secs })), ['0', '-1', '1700000000'], 'int64 as digits');
});

t.test('a sliced table renders the rows of the slice, nulls included', async (t) => {
  const tasks = Array.from({ length: 30 }, (_, i) => row(i, { k: i }));
  const finals = new Map(tasks.map((r) => [r.id, r.id % 3 ? doneRecord(r.id) : failedRecord(r.id, 'x, "y"')]));
  const table = buildDataset(tasks, finals, ['k']);
  const lines = [...renderCsvChunks(table)].join('').split('\r\n');
  t.same([...renderCsvChunks(table.slice(11, 27), 4)].join('').split('\r\n'), [lines[0], ...lines.slice(12, 28), '']);
});

t.test('adjacent number columns without nulls (printed a chunk at a time) give the text String() gives', async (t) => {
  const tricky = [-0, 1e21, 5e-324, -1.7976931348623157e308, 0.1 + 0.2, 123456789.125, -1e-7, 2 ** 53];
  const a = Float64Array.from(tricky);
  const b = Float64Array.from(tricky.slice().reverse());
  const c = Float64Array.from(tricky, (x) => x / 3);
  const table = tableFromArrays({ a, b, c });
  const text = [...renderCsvChunks(table, 3)].join('');
  const expected = ['a,b,c', ...tricky.map((_, i) => [a[i], b[i], c[i]].map((x) => String(x)).join(','))].join('\r\n') + '\r\n';
  t.equal(text, expected);
});

t.test('rows of plain fields (printed by one JSON.stringify a chunk) give the text of rows joined one by one', async (t) => {
  // one row holds a field to quote: its chunk is joined row by row, the others are printed whole; in one chunk, all are joined
  const n = 40;
  const tricky = [-0, 1e21, 5e-324, NaN, Infinity, -Infinity, 0.1 + 0.2, 2 ** 53, -1e-7, 7];
  const tasks = Array.from({ length: n }, (_, i) => row(i, { k: tricky[i % tricky.length], flag: i % 3 === 0 }));
  const finals = new Map<number, TaskRecord>(
    tasks.map((r, i) => [
      r.id,
      i % 5 === 4
        ? failedRecord(r.id, i === 29 ? 'exit code 3, see log' : 'exit code 3')
        : { ...doneRecord(r.id), result: { x: i % 7 === 0 ? null : tricky[(i * 3) % tricky.length], big: 2 ** 53 - i, s: `é-[${i}]`, b: i % 2 === 0 } },
    ]),
  );
  const table = buildDataset(tasks, finals, ['k', 'flag']);
  const whole = [...renderCsvChunks(table, 1000)].join('');
  for (const size of [1, 3, 8]) t.equal([...renderCsvChunks(table, size)].join(''), whole, `chunks of ${size}`);
  const seeds = BigInt64Array.from([0n, -1n, 2n ** 60n, 9007199254740993n]);
  const ints = tableFromArrays({ seed: seeds, f: Float32Array.from([0.1, -0, 3, 1e30]) });
  t.same([...renderCsvChunks(ints, 2)].join('').split('\r\n'), ['seed,f', '0,0.10000000149011612', '-1,0', '1152921504606846976,3', '9007199254740993,1.0000000150474662e+30', '']);
});
