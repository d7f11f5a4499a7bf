import t from 'tap';
import { isTaskRecord, parseRecordText } from '../../src/records/parse.js';
import { doneRecord, failedRecord } from '../collect/fixtures/ensemble.js';

const line = (r: unknown): string => JSON.stringify(r) + '\n';

t.test('complete lines are parsed, an unterminated tail is ignored and not consumed', async (t) => {
  const a = line(doneRecord(0));
  const b = line(failedRecord(1, 'exit code 3'));
  const tail = JSON.stringify(doneRecord(2)).slice(0, 40);
  const p = parseRecordText(a + b + tail);
  t.equal(p.records.length, 2);
  t.same(p.records.map((r) => r.task), [0, 1]);
  t.equal(p.bad, 0);
  t.equal(p.consumed, Buffer.byteLength(a + b));
});

t.test('a malformed complete line is counted with its line number, never fatal', async (t) => {
  const text = line(doneRecord(0)) + '{"task": 1, "attem\n' + line(doneRecord(2)) + 'not json at all\n';
  const p = parseRecordText(text);
  t.same(p.records.map((r) => r.task), [0, 2]);
  t.equal(p.bad, 2);
  t.same(p.badLines, [2, 4]);
  t.equal(p.consumed, Buffer.byteLength(text));
});

t.test('valid JSON that is not a record is bad; blank lines are skipped', async (t) => {
  const text = [
    '[]',
    '{"task": -1, "attempt": 1, "status": "done"}',
    '{"task": 1, "attempt": 0, "status": "done"}',
    '{"task": 1, "attempt": 1, "status": "running"}',
    '{"task": 1, "attempt": 1, "status": "done", "source": "someone"}',
    '{"task": 1, "attempt": 1, "status": "done", "result": [1, 2]}',
    '',
    '   ',
    '{"task": 1, "attempt": 1, "status": "done", "result": {"x": 1}}',
  ].join('\n') + '\n';
  const p = parseRecordText(text);
  t.equal(p.records.length, 1);
  t.equal(p.bad, 6);
  t.same(p.badLines, [1, 2, 3, 4, 5, 6]);
});

t.test('consumed counts UTF-8 bytes, so a follower can resume at that byte offset', async (t) => {
  const r = { ...doneRecord(0), host: 'nœud-é', result: { label: 'α→β' } };
  const full = line(r);
  const text = full + full.slice(0, 10);
  const p = parseRecordText(text);
  t.equal(p.consumed, Buffer.byteLength(full));
  t.not(p.consumed, full.length);
  t.equal(p.records[0].host, 'nœud-é');
  // Resuming from `consumed` with the rest of the file yields exactly the second record.
  const buf = Buffer.from(full + full);
  const rest = parseRecordText(buf.subarray(p.consumed).toString('utf8'));
  t.equal(rest.records.length, 1);
  t.equal(rest.consumed, Buffer.byteLength(full));
});

t.test('no newline at all: nothing consumed', async (t) => {
  t.same(parseRecordText(''), { records: [], bad: 0, badLines: [], consumed: 0 });
  t.same(parseRecordText('{"task":0'), { records: [], bad: 0, badLines: [], consumed: 0 });
});

t.test('CRLF line endings are tolerated', async (t) => {
  const p = parseRecordText(JSON.stringify(doneRecord(5)) + '\r\n');
  t.equal(p.records.length, 1);
  t.equal(p.bad, 0);
});

t.test('isTaskRecord', async (t) => {
  t.ok(isTaskRecord(doneRecord(0)));
  t.ok(isTaskRecord({ ...doneRecord(0), source: undefined }));
  t.ok(isTaskRecord({ ...failedRecord(0, 'interrupted: the controller died'), status: 'interrupted' }), 'an interrupted attempt');
  t.notOk(isTaskRecord(null));
  t.notOk(isTaskRecord({ ...doneRecord(0), task: 1.5 }));
  t.notOk(isTaskRecord({ ...doneRecord(0), result: 'x' }));
});
