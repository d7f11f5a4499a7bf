// failedOnBehalf: the one builder of the failed records written for a task without its own (cancel, scheduler verdicts).
import { hostname } from 'node:os';
import t from 'tap';
import { failedOnBehalf, noticedTimes } from '../../src/records/on-behalf.js';
import { isTaskRecord } from '../../src/records/parse.js';
import { scanRecordLine, type RecordKeys } from '../../src/records/scan-record.js';
import { recordLine } from '../../src/records/line.js';
import { ResultShapes } from '../../src/records/result-shape.js';
import { taskRecord } from '../helpers/records.js';

const who = { task: 5, attempt: 2, reason: 'timeout: the array element hit its time limit', source: 'scheduler', job_id: '9_1' } as const;
const element = { start: '2026-12-04T18:45:30.000Z', end: '2026-12-04T18:46:42.000Z', duration_s: 72, times: 'element' } as const;

t.test('without a record of its own: the writer\'s fallbacks, and where the times come from', async (t) => {
  const r = failedOnBehalf(null, { ...who, exit_code: 0, signal: null, host: 'vm', times: element, stderr_tail: 'log end' });
  t.same(r, {
    task: 5, attempt: 2, status: 'failed', reason: who.reason, exit_code: 0, signal: null, host: 'vm', job_id: '9_1',
    start: element.start, end: element.end, duration_s: 72, result: null, stderr_tail: 'log end', source: 'scheduler', times: 'element',
  });
  const bare = failedOnBehalf(null, { ...who, source: 'controller', job_id: null });
  t.match(bare, { exit_code: null, signal: null, host: hostname(), job_id: null, stderr_tail: '', duration_s: 0, times: 'noticed' });
  t.equal(bare.start, bare.end, 'noticed: start = end');
  t.ok(Math.abs(Date.parse(bare.end) - Date.now()) < 5000);
});

t.test('the task\'s own record of the attempt wins: what it measured is kept, times unmarked', async (t) => {
  const own = taskRecord(5, { attempt: 2, status: 'failed', reason: 'terminated: SIGTERM', exit_code: null, signal: 'SIGTERM', host: 'n7', job_id: '9_1', start: '2026-12-04T18:45:40.000Z', end: '2026-12-04T18:46:41.000Z', duration_s: 61, stderr_tail: 'sim said', result: null });
  const r = failedOnBehalf(own, { ...who, exit_code: 0, host: 'vm', times: element, stderr_tail: 'log end' });
  t.match(r, { exit_code: null, signal: 'SIGTERM', host: 'n7', start: own.start, end: own.end, duration_s: 61, stderr_tail: 'sim said', source: 'scheduler', reason: who.reason });
  t.equal(r.times, undefined);
});

t.test('the mark is a field a record reader keeps and the fast scan accepts', async (t) => {
  const r = failedOnBehalf(null, { ...who, times: noticedTimes(new Date(Date.UTC(2026, 11, 4))) });
  t.equal(r.start, '2026-12-04T00:00:00.000Z');
  const line = recordLine(r);
  t.ok(isTaskRecord(JSON.parse(line)));
  const keys = {} as RecordKeys;
  t.ok(scanRecordLine(line, 0, line.length, new ResultShapes(), keys), 'read by the scan, not left to JSON.parse');
  t.match(keys, { task: 5, attempt: 2, status: 'failed', source: 'scheduler', start: Date.parse(r.start) });
});
