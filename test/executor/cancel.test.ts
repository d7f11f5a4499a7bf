// The records a cancelled controller writes for the tasks it stops without their element's verdict.
import t from 'tap';
import { CANCELLED_BEFORE_START, CANCELLED_WHILE_RUNNING, cancelledRecord, writeCancelled } from '../../src/executor/cancel.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { CANCELLED, owedAttempt, reasonKind, retryPolicy } from '../../src/records/owed.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { taskRecord } from '../helpers/records.js';

t.test('cancelledRecord: a controller failure of kind cancelled; a stopped attempt keeps its own fields', async (t) => {
  const before = cancelledRecord({ task: 3, attempt: 2 });
  t.match(before, { task: 3, attempt: 2, status: 'failed', reason: CANCELLED_BEFORE_START, source: 'controller', result: null, duration_s: 0 });
  t.equal(reasonKind(before.reason), CANCELLED);
  t.equal(owedAttempt(before, retryPolicy(5, undefined)), null, 'not retried automatically');
  const interrupted = taskRecord(4, { status: 'interrupted', reason: 'interrupted: the controller stopped', host: 'n1', duration_s: 7, stderr_tail: 'step 9', result: null });
  t.match(cancelledRecord(interrupted, interrupted), { task: 4, attempt: 1, reason: CANCELLED_WHILE_RUNNING, host: 'n1', duration_s: 7, stderr_tail: 'step 9', status: 'failed' });
  t.equal(before.times, 'noticed', 'not started: its times are the cancel\'s, and say so');
  t.equal(before.start, before.end);
  const stopped = cancelledRecord(interrupted, interrupted);
  t.same([stopped.start, stopped.end, stopped.times], [interrupted.start, interrupted.end, undefined], 'stopped while it ran: the times it measured, no mark');
});

t.test('writeCancelled: one record per item into controller-<run>; it outranks the interrupted record of its attempt', async (t) => {
  const layout = new EnsembleLayout(t.testdir({ results: {} }));
  const interrupted = taskRecord(1, { status: 'interrupted', reason: 'interrupted: the controller stopped', result: null });
  const recs = writeCancelled(layout, 'run1', [{ task: 0, attempt: 1 }, { task: 2, attempt: 3 }], [interrupted]);
  t.same(recs.map((r) => [r.task, r.attempt, r.reason]), [[0, 1, CANCELLED_BEFORE_START], [2, 3, CANCELLED_BEFORE_START], [1, 1, CANCELLED_WHILE_RUNNING]]);
  t.same(writeCancelled(layout, 'run2', []), [], 'nothing to write: no file');
  const { records } = await readRecordFiles(layout.resultsDir);
  t.equal(records.length, 3);
  const finals = selectFinal([...records, interrupted]);
  t.equal(finals.get(1)?.status, 'failed', 'the cancelled record is final, not the interrupted one');
});
