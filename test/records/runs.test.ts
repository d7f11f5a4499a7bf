import t, { type Test } from 'tap';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFinalIndex } from '../../src/records/final-index.js';
import type { TaskRecord } from '../../src/records/record.js';
import { RunCounter, isRun } from '../../src/records/runs.js';
import { selectFinal } from '../../src/records/select-final.js';
import { followFinals } from '../../src/watch/records.js';
import { doneRecord, failedRecord, shuffled } from '../collect/fixtures/ensemble.js';

/** Another run of `r`'s attempt, `s` seconds later (a run is told by its start: the same record twice is one run). */
const later = (r: TaskRecord, s: number): TaskRecord => {
  const shift = (iso: string) => new Date(Date.parse(iso) + s * 1000).toISOString();
  return { ...r, start: shift(r.start), end: shift(r.end), host: `again${s}` };
};

/** Per task: its records and the runs and status its row must show. */
const CASES: Array<{ what: string; recs: TaskRecord[]; runs: number; status: string; attempt: number }> = [
  { what: 'ran once', recs: [doneRecord(0)], runs: 1, status: 'done', attempt: 1 },
  { what: 'requeued while running: SIGTERM record, then done', recs: [failedRecord(1, 'terminated: SIGTERM'), later(doneRecord(1), 5)], runs: 2, status: 'done', attempt: 1 },
  { what: 'requeued after it finished: two done copies', recs: [doneRecord(2), later(doneRecord(2), 9)], runs: 2, status: 'done', attempt: 1 },
  { what: 'orphan, replacement and duplicate submission', recs: [doneRecord(3), later(doneRecord(3), 1), later(doneRecord(3), 2)], runs: 3, status: 'done', attempt: 1 },
  { what: 'a retry is an attempt, not a re-run', recs: [failedRecord(4, 'exit code 1'), doneRecord(4, 2)], runs: 1, status: 'done', attempt: 2 },
  { what: 'lost: only the controller wrote', recs: [failedRecord(5, 'lost: no record', { source: 'controller' })], runs: 0, status: 'failed', attempt: 1 },
  { what: 'a scheduler record is no run', recs: [failedRecord(6, 'terminated: SIGTERM'), failedRecord(6, 'timeout: limit', { source: 'scheduler' })], runs: 1, status: 'failed', attempt: 1 },
  { what: 'a re-run of an earlier attempt does not count for the kept one', recs: [doneRecord(7), later(doneRecord(7), 3), failedRecord(7, 'exit code 1', { attempt: 2 })], runs: 1, status: 'failed', attempt: 2 },
];
const ALL = CASES.flatMap((c) => c.recs);

function check(t: Test, finals: (task: number) => TaskRecord | undefined, how: string): void {
  CASES.forEach((c, task) => {
    const f = finals(task);
    t.match(f, { runs: c.runs, status: c.status, attempt: c.attempt }, `${how}: ${c.what}`);
  });
}

t.test('isRun: wrapper records (with or without source) are runs, on-behalf records are not', async (t) => {
  const { source: _, ...bare } = doneRecord(0);
  t.same([isRun(doneRecord(0)), isRun(bare as TaskRecord), isRun(failedRecord(0, 'lost', { source: 'controller' })), isRun(failedRecord(0, 'x', { source: 'scheduler' }))], [true, true, false, false]);
});

t.test('selectFinal gives each final the runs of its attempt, whatever the order; the kept record is still the earliest copy', async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const f = selectFinal(shuffled(ALL, seed));
    check(t, (task) => f.get(task), `shuffle ${seed}`);
    t.equal(f.get(2)?.host, doneRecord(2).host, 'of two done copies, the one that ended first is kept');
  }
});

t.test('followFinals: records arriving one at a time give the same runs; a losing duplicate still changes the row (its runs)', async (t) => {
  const dir = t.testdir({ all: {}, two: {} });
  const follow = followFinals(join(dir, 'all'), CASES.length);
  const latest = new Map<number, TaskRecord>();
  const keep = (rs: TaskRecord[]) => rs.forEach((r) => latest.set(r.task, r));
  for (const r of shuffled(ALL, 7)) {
    appendFileSync(join(dir, 'all', 'a.ndjson'), JSON.stringify(r) + '\n');
    await follow.poll(keep);
  }
  check(t, (task) => latest.get(task), 'one by one');

  const two = followFinals(join(dir, 'two'), 3);
  const file = join(dir, 'two', 'a.ndjson');
  const seen: TaskRecord[][] = [];
  const step = async (r: TaskRecord) => {
    appendFileSync(file, JSON.stringify(r) + '\n');
    return two.poll((rs) => void seen.push(rs));
  };
  t.equal(await step(doneRecord(2)), 1);
  t.equal(seen[0][0].runs, 1);
  t.equal(await step(later(doneRecord(2), 9)), 1, 'the later copy loses, but the row changes');
  t.match(seen[1][0], { runs: 2, host: doneRecord(2).host });
  t.equal(await step(failedRecord(2, 'lost', { source: 'controller' })), 0, 'an on-behalf record of the same attempt changes nothing');
  t.equal(seen.length, 2);
});

t.test('FinalIndex: the records read back carry the same runs', async (t) => {
  const dir = t.testdir({});
  const lines = shuffled(ALL, 11).map((r) => JSON.stringify(r) + '\n');
  writeFileSync(join(dir, 'a.ndjson'), lines.slice(0, 6).join(''));
  writeFileSync(join(dir, 'b.ndjson'), lines.slice(6).join(''));
  const index = await readFinalIndex(dir, CASES.length);
  const got = await index.read(0, CASES.length);
  check(t, (task) => got[task], 'index');
});

t.test('RunCounter: a task id past its size grows it; runsOf a task never seen is 0', async (t) => {
  const c = new RunCounter(1);
  t.equal(c.runsOf(doneRecord(5000)), 0);
  t.ok(c.add(doneRecord(5000)));
  t.notOk(c.add(doneRecord(5000, 0)), 'a lower attempt is not counted');
  t.equal(c.runsOf(doneRecord(5000)), 1);
  t.equal(c.withRuns(doneRecord(5000)).runs, 1);
});

/** A random record of one of `tasks` tasks: any source, status, reason, attempt and end (seeded). */
function randomRecord(next: () => number, tasks: number): TaskRecord {
  const source = (['wrapper', 'wrapper', 'scheduler', 'controller', undefined] as const)[Math.floor(next() * 5)];
  const status = (['done', 'done', 'done', 'failed', 'failed', 'interrupted'] as const)[Math.floor(next() * 6)];
  const reasons = ['terminated: SIGTERM', 'timeout: 60 s', 'exit code 3', 'lost: gone', 'cancelled: by user'];
  const { source: _, ...bare } = doneRecord(Math.floor(next() * tasks), 1 + Math.floor(next() * 3));
  return {
    ...bare,
    status,
    reason: status === 'done' ? null : status === 'interrupted' ? 'interrupted: the controller died' : reasons[Math.floor(next() * reasons.length)],
    host: `n${Math.floor(next() * 3)}`,
    start: `2024-05-01T10:00:0${Math.floor(next() * 3)}.000Z`,
    end: `2024-05-01T10:00:0${3 + Math.floor(next() * 7)}.000Z`,
    result: status === 'done' ? { y: Math.floor(next() * 5) } : null,
    ...(source ? { source } : {}),
  };
}

t.test('followFinals: records arriving in batches, in any order and over several files, give the finals of one selectFinal', async (t) => {
  const root = t.testdir({});
  for (let seed = 1; seed <= 60; seed++) {
    let s = seed;
    const next = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const dir = join(root, `s${seed}`);
    mkdirSync(dir);
    const records = Array.from({ length: 1 + Math.floor(next() * 30) }, () => randomRecord(next, 6));
    const follow = followFinals(dir, 6);
    const latest = new Map<number, TaskRecord>();
    for (let i = 0; i < records.length; ) {
      const n = 1 + Math.floor(next() * 5);
      for (const r of records.slice(i, i + n)) {
        const file = join(dir, `f${Math.floor(next() * 3)}.ndjson`);
        appendFileSync(file, JSON.stringify(r) + '\n');
      }
      await follow.poll((rs) => void rs.forEach((r) => latest.set(r.task, r)));
      i += n;
    }
    t.same(latest, selectFinal(records), `seed ${seed}`);
  }
});
