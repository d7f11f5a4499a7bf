import t from 'tap';
import { join } from 'node:path';
import { readRecordFiles } from '../../src/records/read.js';
import { doneRecord, failedRecord } from '../collect/fixtures/ensemble.js';

const line = (r: unknown): string => JSON.stringify(r) + '\n';

t.test('reads every *.ndjson file, ignores torn tails, lists bad lines by file and line', async (t) => {
  const dir = t.testdir({
    results: {
      'b.ndjson': line(doneRecord(2)) + 'garbage\n' + line(doneRecord(3)) + '{"task":4,"att',
      'a.ndjson': line(doneRecord(0)) + line(failedRecord(1, 'exit code 3')),
      'notes.txt': 'not a record file\n',
      'c.ndjson.tmp': line(doneRecord(9)),
      sub: { 'd.ndjson': line(doneRecord(8)) },
      'empty.ndjson': '',
    },
  });
  const { records, bad } = await readRecordFiles(join(dir, 'results'));
  t.same(records.map((r) => r.task), [0, 1, 2, 3], 'file-name order, then line order');
  t.same(bad, [{ file: join(dir, 'results', 'b.ndjson'), line: 2 }]);
});

t.test('a torn multi-byte character in the tail does not matter', async (t) => {
  const full = Buffer.from(line({ ...doneRecord(0), host: 'é' }));
  const torn = Buffer.from(line({ ...doneRecord(1), host: 'é' }));
  const cut = torn.indexOf(Buffer.from('é')) + 1; // inside the two-byte é
  const dir = t.testdir({ 'w.ndjson': Buffer.concat([full, torn.subarray(0, cut)]) });
  const { records, bad } = await readRecordFiles(dir);
  t.same(records.map((r) => r.host), ['é']);
  t.same(bad, []);
});

t.test('a missing results directory means no records yet', async (t) => {
  const dir = t.testdir({});
  t.same(await readRecordFiles(join(dir, 'results')), { records: [], bad: [] });
});

t.test('many files are all read', async (t) => {
  const files: Record<string, string> = {};
  for (let w = 0; w < 100; w++) files[`w${String(w).padStart(3, '0')}.ndjson`] = line(doneRecord(w)) + line(doneRecord(w + 100));
  const dir = t.testdir(files);
  const { records } = await readRecordFiles(dir);
  t.equal(records.length, 200);
  t.same(new Set(records.map((r) => r.task)).size, 200);
});
