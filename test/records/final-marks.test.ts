import t from 'tap';
import type { TaskRecord } from '../../src/records/record.js';
import { FinalMarks } from '../../src/records/final-marks.js';

const rec = (task: number, status: TaskRecord['status'], extra: Partial<TaskRecord> = {}): TaskRecord => ({
  task,
  attempt: 1,
  status,
  reason: status === 'done' ? null : `${status}: why`,
  exit_code: status === 'done' ? 0 : 1,
  signal: null,
  host: 'vm',
  job_id: null,
  start: '2026-12-03T00:00:00.000Z',
  end: '2026-12-03T00:00:01.000Z',
  duration_s: 1,
  result: null,
  source: 'wrapper',
  ...extra,
});

t.test('buckets, sameness and the records that wait for the scheduler', async (t) => {
  const terminated = rec(3, 'failed', { reason: 'terminated: the simulation received SIGTERM (scheduler time limit, cancel or preemption)' });
  const marks = new FinalMarks(5, [rec(0, 'done'), rec(1, 'failed'), rec(2, 'interrupted'), terminated, rec(9, 'done')]);
  t.same([0, 1, 2, 3, 4].map((i) => marks.bucket(i)), ['done', 'failed', 'pending', 'failed', 'pending'], 'interrupted and no record are pending');
  t.same([...marks.awaiting()], [terminated], 'a wrapper record of a task the scheduler stopped waits for its reason');

  t.ok(marks.same(rec(1, 'failed')), 'the same attempt, status and reason');
  t.notOk(marks.same(rec(1, 'failed', { reason: 'exit code 2' })), 'another reason');
  t.notOk(marks.same(rec(1, 'failed', { attempt: 2 })), 'another attempt');
  t.notOk(marks.same(rec(0, 'failed')), 'another status');
  t.notOk(marks.same(rec(4, 'done')), 'a task without a record yet');
  t.notOk(marks.same(rec(9, 'done')), 'a task outside the plan');

  const refined = rec(3, 'failed', { source: 'scheduler', reason: 'timeout: the scheduler ended it at its time limit' });
  marks.set(refined);
  t.same([...marks.awaiting()], [], "the scheduler's record ends the wait");
  t.ok(marks.same(refined));
  marks.set(rec(1, 'done', { attempt: 2 }));
  t.equal(marks.bucket(1), 'done', 'a retry that succeeded');
  t.ok(marks.same(rec(1, 'done', { attempt: 2 })), 'its reason is gone with it');
});

t.test('a view of the finals for the batch loop: what each record says, from the columns', async (t) => {
  const marks = new FinalMarks(4);
  t.equal(marks.size, 0);
  t.equal(marks.get(0), undefined);
  marks.set(rec(0, 'done', { duration_s: 2.5 }));
  marks.set(rec(2, 'failed', { attempt: 3, source: 'scheduler', reason: 'timeout: limit' }));
  marks.set(rec(3, 'interrupted'));
  marks.set(rec(7, 'done'));
  t.equal(marks.size, 3, 'an interrupted one counts, a task outside the plan not');
  t.same([0, 1, 2, 3].map((i) => marks.has(i)), [true, false, true, true]);
  t.same(marks.get(0), { task: 0, attempt: 1, status: 'done', reason: null, source: 'wrapper', duration_s: 2.5 });
  t.same(marks.get(2), { task: 2, attempt: 3, status: 'failed', reason: 'timeout: limit', source: 'scheduler', duration_s: 1 });
  const { source: _, ...bare } = rec(1, 'failed', { reason: 'exit code 1' });
  marks.set(bare as TaskRecord);
  t.equal(marks.get(1)?.source, 'wrapper', 'a record without a source is a wrapper\'s');
  t.same([...marks.withReasons()].map((b) => b.task).sort(), [1, 2, 3], 'the records that give a reason');
  marks.set(rec(2, 'done', { attempt: 4 }));
  t.equal(marks.size, 4, 'a task counts once');
  t.same([...marks.withReasons()].map((b) => b.task).sort(), [1, 3]);
});

t.test('a record of an attempt below the kept one is not kept', async (t) => {
  const marks = new FinalMarks(2);
  t.ok(marks.set(rec(0, 'done', { attempt: 2 })));
  t.notOk(marks.set(rec(0, 'failed')), 'attempt 1 after attempt 2');
  t.match(marks.get(0), { attempt: 2, status: 'done' });
  t.ok(marks.set(rec(0, 'failed', { attempt: 2, source: 'scheduler' })), 'the same attempt is kept (its final record changed)');
  t.notOk(marks.set(rec(5, 'done')), 'a task outside the plan');
});
