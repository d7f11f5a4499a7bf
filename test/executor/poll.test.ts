// Tests for src/executor/poll.ts and src/executor/elements.ts: when the batch loop asks the scheduler, on a fake clock.
import t from 'tap';
import { ElementBook, covers } from '../../src/executor/elements.js';
import { DEFAULT_POLL_S, type PollSettings, type SubmissionView, nextQuery, pollSettings, stragglerDue } from '../../src/executor/poll.js';
import type { TaskRecord } from '../../src/records/record.js';

const S: PollSettings = { intervalMs: 30_000, minGapMs: 5000 };
const view = (over: Partial<SubmissionView> = {}): SubmissionView => ({ elements: 100, open: 50, lastRecordedAt: null, longestMs: 0, earlySpent: false, ...over });

function rec(task: number, over: Partial<TaskRecord> = {}): TaskRecord {
  return { task, attempt: 1, status: 'done', reason: null, exit_code: 0, signal: null, host: 'n1', job_id: '1_0', start: '', end: '', duration_s: 0.1, result: {}, ...over } as TaskRecord;
}

t.test('nothing open: no query at all; something open and never asked: now', async (t) => {
  t.same(nextQuery(1000, null, [], S), { at: null, early: [] });
  t.same(nextQuery(1000, 0, [view({ open: 0 })], S), { at: null, early: [] }, 'every element recorded: settled by records, no confirmation query');
  t.same(nextQuery(1000, null, [view()], S), { at: 1000, early: [] });
});

t.test('steady state: one query per interval for all submissions, whatever the records do', async (t) => {
  t.same(nextQuery(10_000, 0, [view(), view({ open: 3 })], S), { at: 30_000, early: [] });
  // records arriving (fewer open, a fresh lastRecordedAt) never bring the query forward while more than one is open
  t.same(nextQuery(10_000, 0, [view({ open: 2, lastRecordedAt: 9999, longestMs: 100 })], S), { at: 30_000, early: [] });
  t.same(nextQuery(10_000, 0, [view({ open: 2, lastRecordedAt: 10_000, longestMs: 100 })], { intervalMs: 60_000, minGapMs: 5000 }).at, 60_000);
});

t.test('the straggler: one early query when the last open element should have finished', async (t) => {
  // siblings took at most 2 s; the last one arrived at t=8 s: the straggler should be done by 8 + 2 x 2 + 5 (gap) = 17 s
  const v = view({ open: 1, lastRecordedAt: 8000, longestMs: 2000 });
  t.equal(stragglerDue(v, 5000), 17_000);
  t.same(nextQuery(9000, 0, [v], S), { at: 17_000, early: [0] });
  t.same(nextQuery(9000, 15_000, [v], S), { at: 20_000, early: [0] }, 'never closer than minGap to the last query');
  t.same(nextQuery(9000, 0, [view(), v], S), { at: 17_000, early: [1] }, 'the early index names the straggler\'s submission');
  t.same(nextQuery(20_000, 17_000, [{ ...v, earlySpent: true }], S), { at: 47_000, early: [] }, 'once per submission: then the clock');
  t.same(nextQuery(9000, 0, [view({ open: 1, lastRecordedAt: 8000, longestMs: 20_000 })], S), { at: 30_000, early: [] }, 'due after the regular query: rides along, not spent');
  t.equal(stragglerDue(view({ elements: 1, open: 1, lastRecordedAt: 0 }), 5000), null, 'no siblings, no straggler');
  t.equal(stragglerDue(view({ open: 1, lastRecordedAt: null }), 5000), null, 'no sibling recorded yet: it may simply not have started');
});

t.test('pollSettings: executor.poll in seconds (default 30, at least 5), or a test\'s tickMs', async (t) => {
  t.same(pollSettings(undefined), { readMs: 1000, minGapMs: 5000, intervalMs: DEFAULT_POLL_S * 1000 });
  t.equal(pollSettings(120).intervalMs, 120_000);
  t.equal(pollSettings(1).intervalMs, 5000, 'below the minimum: the minimum');
  t.same(pollSettings(30, { min: 300, max: 2000 }), { readMs: 300, minGapMs: 300, intervalMs: 2000 });
});

/** Runs the policy on a fake clock over a run whose elements record at the given times (ms); returns the query times. */
function simulate(recordTimes: number[], lost: number, s: PollSettings): number[] {
  const book = new ElementBook();
  const n = recordTimes.length + lost;
  book.add('7', 1, n, (i) => [i]);
  const finals = new Map<number, TaskRecord>();
  const queries: number[] = [];
  let last: number | null = null;
  for (let now = 0; now < 3_600_000; now += 250) {
    recordTimes.forEach((at, i) => {
      if (at <= now && !finals.has(i)) finals.set(i, rec(i, { duration_s: 0.1 }));
    });
    book.observe(finals, now);
    const ids = book.unsettled();
    if (ids.length === 0) break;
    const d = nextQuery(now, last, book.views(), s);
    if (d.at === null || d.at > now) continue;
    for (const i of d.early) book.spendEarly(ids[i]);
    queries.push(now);
    last = now;
    // the scheduler says the lost elements ended (after they "ran" for a second past the last record)
    const end = Math.max(...recordTimes) + 1000;
    if (now >= end) for (let i = recordTimes.length; i < n; i++) book.close('7', i);
  }
  return queries;
}

t.test('a run on a fake clock: queries bounded by wall / interval, not by records', async (t) => {
  // 1000 x 0.1 s elements recording over 300 s, in bursts; and the same with 10x the record rate
  const slow = Array.from({ length: 1000 }, (_, i) => 2000 + i * 300);
  const fast = Array.from({ length: 1000 }, (_, i) => 2000 + i * 30);
  const qs = simulate(slow, 0, S);
  const qf = simulate(fast, 0, S);
  t.ok(qs.length <= 302_000 / 30_000 + 2, `slow: ${qs.length} queries in 302 s`);
  t.ok(qf.length <= 32_000 / 30_000 + 2, `fast: ${qf.length} queries in 32 s`);
  for (let i = 1; i < qs.length; i++) t.ok(qs[i] - qs[i - 1] >= S.minGapMs, 'never closer than minGap');
  // one element killed without a record: found by the straggler query soon after the last sibling, not 30 s later
  const ql = simulate(slow.slice(0, 999), 1, S);
  const lastRecord = slow[998];
  const found = ql.find((q) => q >= lastRecord + 1000);
  t.ok(found !== undefined && found - lastRecord <= 2 * 100 + 5000 + 1000, `the straggler was asked about ${found! - lastRecord} ms after its last sibling`);
  t.ok(ql.length <= 302_000 / 30_000 + 3);
});

t.test('ElementBook: elements close on covering records, once; terminated and older attempts do not cover', async (t) => {
  t.ok(covers(rec(1), 1));
  t.notOk(covers(undefined, 1));
  t.notOk(covers(rec(1), 2), 'a record of an earlier attempt');
  t.notOk(covers(rec(1, { status: 'failed', reason: 'terminated by SIGTERM' }), 1), 'a wrapper\'s terminated waits for the scheduler');
  t.ok(covers(rec(1, { status: 'failed', reason: 'exit code 3' }), 1));

  const book = new ElementBook();
  book.add('9', 1, 3, (i) => [2 * i, 2 * i + 1]); // bundles of two
  book.add('9', 1, 99, () => []);
  t.same(book.openOf('9'), [0, 1, 2], 'added once');
  const finals = new Map<number, TaskRecord>([[0, rec(0, { duration_s: 1 })], [1, rec(1, { duration_s: 2 })], [2, rec(2)]]);
  t.equal(book.observe(finals, 5000), 1, 'element 0 closed; element 1 has one task of two');
  t.same(book.views(), [{ elements: 3, open: 2, lastRecordedAt: 5000, longestMs: 3000, earlySpent: false }], 'an element\'s run time is its tasks\' sum');
  book.close('9', 1);
  book.spendEarly('9');
  t.same(book.views()[0], { elements: 3, open: 1, lastRecordedAt: 5000, longestMs: 3000, earlySpent: true });
  t.notOk(book.settled('9'));
  book.close('9', 2);
  t.ok(book.settled('9'));
  t.same(book.unsettled(), []);
  t.notOk(book.isOpen('nope', 0));
});

t.test('ElementBook: each look resumes after the tasks already seen covered; an adopted task reopens the element until it is covered', async (t) => {
  const book = new ElementBook();
  book.add('5', 1, 1, () => [0, 1, 2]);
  const finals = new Map<number, TaskRecord>([[0, rec(0)], [2, rec(2)]]);
  t.equal(book.observe(finals, 1000), 0, 'task 1 has no record');
  finals.set(1, rec(1, { status: 'failed', reason: 'terminated by SIGTERM' }));
  t.equal(book.observe(finals, 2000), 0, 'task 1 waits for the scheduler');
  finals.set(1, rec(1));
  t.equal(book.observe(finals, 3000), 1, 'every task covered');
  book.adopt('5', 0, 7);
  t.same(book.openOf('5'), [0], 'reopened by the adopted task');
  t.equal(book.observe(finals, 4000), 0, 'the adopted task has no record');
  finals.set(7, rec(7));
  t.equal(book.observe(finals, 5000), 1);
  t.ok(book.settled('5'));
});

t.test('ElementBook.runs: the tasks each attempt\'s submissions run, whatever their elements\' state', async (t) => {
  const book = new ElementBook(6);
  book.add('1', 1, 3, (i) => [2 * i, 2 * i + 1]);
  book.add('2', 2, 1, () => [4, 9]); // a listed resubmission; task 9 is outside the plan
  t.same([0, 1, 2, 3, 4, 5].map((task) => book.runs(task, 1)), [true, true, true, true, true, true]);
  t.same([0, 1, 2, 3, 4, 5].map((task) => book.runs(task, 2)), [false, false, false, false, true, false]);
  t.notOk(book.runs(0, 3), 'no submission of attempt 3');
  book.close('1', 0);
  t.ok(book.runs(0, 1), 'a closed element still ran its tasks');
});
