import t, { type Test } from 'tap';
import { selectFinal } from '../../src/records/select-final.js';
import type { TaskRecord } from '../../src/records/record.js';
import { doneRecord, failedRecord, shuffled } from '../collect/fixtures/ensemble.js';

/** Runs selectFinal on many shuffles and checks they all agree, returning the common answer. */
function stableSelect(t: Test, records: TaskRecord[]): Map<number, TaskRecord> {
  const first = selectFinal(records);
  for (let seed = 1; seed <= 25; seed++) {
    const other = selectFinal(shuffled(records, seed));
    t.same([...other.entries()], [...first.entries()], `shuffle ${seed} agrees`);
  }
  return first;
}

t.test('highest attempt wins, even over a done record of an earlier attempt', async (t) => {
  const f = stableSelect(t, [
    doneRecord(0, 1),
    failedRecord(0, 'exit code 1', { attempt: 2 }),
    failedRecord(1, 'exit code 1', { attempt: 1 }),
    doneRecord(1, 2),
  ]);
  t.equal(f.get(0)?.attempt, 2);
  t.equal(f.get(0)?.status, 'failed');
  t.equal(f.get(1)?.status, 'done');
});

t.test('at equal attempt: wrapper done > wrapper failed > scheduler > controller', async (t) => {
  const ctl = failedRecord(0, 'lost: no record', { source: 'controller' });
  const sch = failedRecord(0, 'timeout: TIMEOUT in sacct', { source: 'scheduler' });
  const wf = failedRecord(0, 'exit code 2');
  const wd = doneRecord(0);
  t.equal(stableSelect(t, [ctl, sch, wf, wd]).get(0)?.status, 'done');
  t.equal(stableSelect(t, [ctl, sch, wf]).get(0)?.reason, 'exit code 2');
  t.equal(stableSelect(t, [ctl, sch]).get(0)?.reason, 'timeout: TIMEOUT in sacct');
  t.equal(stableSelect(t, [ctl]).get(0)?.reason, 'lost: no record');
  // A record without `source` is the wrapper's.
  const { source: _, ...noSource } = wf;
  t.equal(stableSelect(t, [ctl, noSource as TaskRecord]).get(0)?.reason, 'exit code 2');
});

t.test('at equal attempt an interrupted record loses to any other; a higher attempt wins over it and it over a lower one', async (t) => {
  const int = failedRecord(0, 'interrupted: the controller died', { status: 'interrupted', attempt: 2 });
  const ctl = failedRecord(0, 'lost: no record', { source: 'controller', attempt: 2 });
  t.equal(stableSelect(t, [int, ctl]).get(0)?.reason, 'lost: no record');
  t.equal(stableSelect(t, [int, doneRecord(0)]).get(0)?.status, 'interrupted', 'attempt 2 was interrupted after attempt 1 was done');
  t.equal(stableSelect(t, [int, { ...doneRecord(0), attempt: 3 }]).get(0)?.status, 'done');
});

t.test('a scheduler record refines a "terminated" wrapper failure of the same attempt', async (t) => {
  const w = failedRecord(0, 'terminated: SIGTERM', { signal: 'SIGTERM', exit_code: null, host: 'n1', stderr_tail: 'bye' });
  const s = failedRecord(0, 'timeout: time limit 00:10:00 reached', { source: 'scheduler', host: 'other', exit_code: 0 });
  const f = stableSelect(t, [s, w]).get(0)!;
  t.equal(f.reason, 'timeout: time limit 00:10:00 reached');
  t.equal(f.host, 'n1', 'other fields are the wrapper’s');
  t.equal(f.signal, 'SIGTERM');
  t.equal(f.exit_code, null);
  t.equal(f.stderr_tail, 'bye');
  t.equal(f.source, 'wrapper');
  t.equal(w.reason, 'terminated: SIGTERM', 'the input record is not mutated');

  // Only the same attempt refines; other wrapper reasons are not refined.
  const older = { ...s, attempt: 1 };
  const w2 = { ...w, attempt: 2 };
  t.equal(stableSelect(t, [older, w2]).get(0)?.reason, 'terminated: SIGTERM');
  const plain = failedRecord(0, 'exit code 143');
  t.equal(stableSelect(t, [s, plain]).get(0)?.reason, 'exit code 143');
  // A done wrapper record is never touched.
  t.equal(stableSelect(t, [s, doneRecord(0)]).get(0)?.reason, null);
});

t.test('several scheduler records: the refinement is deterministic too', async (t) => {
  const w = failedRecord(0, 'terminated: SIGTERM');
  const s1 = failedRecord(0, 'cancelled: scancel by alice', { source: 'scheduler', end: '2025-01-01T00:00:05.000Z' });
  const s2 = failedRecord(0, 'timeout: time limit', { source: 'scheduler', end: '2025-01-01T00:00:03.000Z' });
  t.equal(stableSelect(t, [w, s1, s2]).get(0)?.reason, 'timeout: time limit', 'earliest end');
});

t.test('duplicate done records of one attempt (orphaned worker): earliest end, then content', async (t) => {
  const a = { ...doneRecord(0), host: 'late', end: '2025-01-01T00:00:09.000Z' };
  const b = { ...doneRecord(0), host: 'early', end: '2025-01-01T00:00:02.000Z' };
  t.equal(stableSelect(t, [a, b]).get(0)?.host, 'early');
  const c = { ...b, host: 'zzz' };
  const d = { ...b, host: 'aaa' };
  t.equal(stableSelect(t, [c, d, c, d]).get(0)?.host, 'aaa');
  const e = { ...b, end: 'garbage' };
  t.equal(stableSelect(t, [e, b]).get(0)?.host, 'early', 'unparseable end sorts last');
});

t.test('a big mixed ensemble is order-independent and iterates by task id', async (t) => {
  const recs: TaskRecord[] = [];
  for (let i = 0; i < 300; i++) {
    recs.push(failedRecord(i, 'terminated: SIGTERM'));
    if (i % 2) recs.push(failedRecord(i, 'timeout: x', { source: 'scheduler' }));
    if (i % 3 === 0) recs.push(doneRecord(i, 2), failedRecord(i, 'lost: y', { source: 'controller', attempt: 2 }));
    if (i % 5 === 0) recs.push(doneRecord(i, 2), { ...doneRecord(i, 2), host: 'dup' });
  }
  const f = stableSelect(t, recs);
  t.same([...f.keys()], Array.from({ length: 300 }, (_, i) => i));
  t.equal(f.get(1)?.reason, 'timeout: x');
  t.equal(f.get(2)?.reason, 'terminated: SIGTERM');
  t.equal(f.get(3)?.status, 'done');
  t.equal(f.get(3)?.attempt, 2);
});
