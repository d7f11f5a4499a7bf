// FinalState: adding records in batches, in any order, gives the finals of one selectFinal over all of them.
import t from 'tap';
import { FinalState } from '../../src/records/final-state.js';
import { selectFinal } from '../../src/records/select-final.js';
import type { TaskRecord } from '../../src/records/record.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomRecord(r: () => number, tasks: number): TaskRecord {
  const source = (['wrapper', 'wrapper', 'scheduler', 'controller', undefined] as const)[Math.floor(r() * 5)];
  const status = r() < 0.6 ? 'done' : 'failed';
  const reasons = ['terminated: SIGTERM', 'timeout: 60 s', 'exit code 3', 'lost: gone', 'cancelled: by user'];
  return {
    task: Math.floor(r() * tasks),
    attempt: 1 + Math.floor(r() * 3),
    status,
    reason: status === 'done' ? null : reasons[Math.floor(r() * reasons.length)],
    exit_code: null,
    signal: null,
    host: `n${Math.floor(r() * 3)}`,
    job_id: null,
    start: '2024-05-01T10:00:00.000Z',
    end: `2024-05-01T10:00:0${Math.floor(r() * 10)}.000Z`,
    duration_s: 1,
    result: status === 'done' ? { y: Math.floor(r() * 5) } : null,
    ...(source ? { source } : {}),
  };
}

t.test('batches in any order give the same finals as selectFinal over everything', async (t) => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = rng(seed);
    const records = Array.from({ length: 1 + Math.floor(r() * 40) }, () => randomRecord(r, 8));
    // selectFinal over copies, taken first: the state sets `runs` on the records it keeps
    const want = selectFinal(structuredClone(records));
    const state = new FinalState(8);
    const changedLog: number[][] = [];
    for (let i = 0; i < records.length; ) {
      const n = 1 + Math.floor(r() * 5);
      changedLog.push(state.add(records.slice(i, i + n)));
      i += n;
    }
    t.same(state.finals, want, `seed ${seed}`);
    // every task reported as changed at least once, and never reported without a real change
    const reported = new Set(changedLog.flat());
    if ([...want.keys()].some((k) => !reported.has(k))) t.fail(`seed ${seed}: a task with a final was never reported`);
  }
});

t.test('a scheduler record arriving after a terminated wrapper record refines its reason: a change', async (t) => {
  const base = randomRecord(rng(1), 1);
  const wrapper: TaskRecord = { ...base, task: 0, attempt: 1, status: 'failed', reason: 'terminated: the task wrapper received SIGTERM', source: 'wrapper' };
  const sched: TaskRecord = { ...wrapper, reason: 'timeout: the element hit its time limit', source: 'scheduler' };
  const s = new FinalState();
  t.same(s.add([wrapper]), [0]);
  t.same(s.add([sched]), [0], 'the final row changes (reason refined)');
  t.equal(s.finals.get(0)?.reason, sched.reason);
  t.equal(s.finals.get(0)?.source, 'wrapper');
  t.same(s.add([sched, wrapper]), [], 'the same records again change nothing');
});

t.test('a second run of the final attempt that loses to the kept record changes the row: its runs', async (t) => {
  const first: TaskRecord = { ...randomRecord(rng(2), 1), task: 0, attempt: 1, status: 'done', reason: null, source: 'wrapper', end: '2024-05-01T10:00:01.000Z', start: '2024-05-01T10:00:00.000Z' };
  const again: TaskRecord = { ...first, start: '2024-05-01T10:00:05.000Z', end: '2024-05-01T10:00:09.000Z' };
  const s = new FinalState(1);
  t.same(s.add([first]), [0]);
  t.equal(s.finals.get(0)?.runs, 1);
  t.same(s.add([again]), [0], 'reported as a change');
  t.equal(s.finals.get(0)?.end, first.end, 'the first copy to end stays final');
  t.equal(s.finals.get(0)?.runs, 2, 'with both runs counted');
  t.equal(s.finals.size, 1, 'one final');
  t.same(s.add([structuredClone(again)]), [], 'the same run read again changes nothing');
});

t.test('records of tasks outside the plan are ignored', async (t) => {
  const s = new FinalState(2);
  const r = randomRecord(rng(3), 1);
  t.same(s.add([{ ...r, task: 5 }, { ...r, task: 1 }]), [1]);
  t.same([...s.finals.keys()], [1]);
});

t.test('an interrupted final is a final; its next attempt replaces it', async (t) => {
  const base = randomRecord(rng(4), 1);
  const s = new FinalState(3);
  s.add([
    { ...base, task: 0, attempt: 1, status: 'done', reason: null },
    { ...base, task: 1, attempt: 1, status: 'failed', reason: 'exit code 1' },
    { ...base, task: 2, attempt: 1, status: 'interrupted', reason: 'interrupted: the controller died' },
  ]);
  t.same([...s.finals.values()].map((r) => r.status), ['done', 'failed', 'interrupted']);
  t.same(s.add([{ ...base, task: 2, attempt: 2, status: 'failed', reason: 'exit code 2' }]), [2]);
  t.match(s.finals.get(2), { attempt: 2, status: 'failed' });
});
