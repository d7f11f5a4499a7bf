// logs/tasks.stats: one readable line per attempt, appended once however often the records are seen again (restarts).
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TaskStats, formatStatsLine } from '../../src/records/stats.js';
import { taskRecord } from '../helpers/records.js';

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

t.test('a line says task, attempt, status, host, start, end, duration and the exit or the reason', async (t) => {
  const start = '2026-01-01T00:00:00.000Z';
  const end = '2026-01-01T00:00:01.500Z';
  t.equal(
    formatStatsLine(taskRecord(12, { start, end, duration_s: 1.5 })),
    `Task        12: Attempt 1: Status: done        Host: n1 Start: ${start} End: ${end} Time: 1.500s Exit: 0`,
  );
  const oom = taskRecord(3, { attempt: 2, status: 'failed', exit_code: null, signal: 'SIGKILL', reason: 'out of memory: used more than\n100M', start, end });
  t.match(formatStatsLine(oom), /^Task         3: Attempt 2: Status: failed .* Exit: SIGKILL Reason: out of memory: used more than 100M$/);
});

t.test('each attempt once: a reopened file (a restarted controller) skips the attempts it has', async (t) => {
  const path = join(t.testdir(), 'logs', 'tasks.stats');
  const first = new TaskStats(path);
  first.record(taskRecord(0));
  first.record(taskRecord(0));
  first.record(taskRecord(1, { status: 'failed', reason: 'exit code 2' }));
  first.close();
  t.equal(lines(path).length, 2, 'a record seen twice: one line');

  const again = new TaskStats(path);
  again.catchUp([taskRecord(0), taskRecord(1, { status: 'failed', reason: 'exit code 2' }), taskRecord(2)], false);
  again.record(taskRecord(1, { attempt: 2 }));
  again.close();
  t.same(
    lines(path).map((l) => l.slice(0, 26)),
    ['Task         0: Attempt 1:', 'Task         1: Attempt 1:', 'Task         2: Attempt 1:', 'Task         1: Attempt 2:'],
    'only the new attempts were appended',
  );

  // attempts 32 and 33 (either side of the per-task bits) and a big task id, across a restart
  const many = new TaskStats(path);
  for (const r of [taskRecord(7, { attempt: 32 }), taskRecord(7, { attempt: 33 }), taskRecord(1_000_000, { attempt: 1 }), taskRecord(2 ** 40)]) many.record(r);
  many.close();
  const after = new TaskStats(path);
  after.catchUp([taskRecord(7, { attempt: 32 }), taskRecord(7, { attempt: 33 }), taskRecord(1_000_000), taskRecord(2 ** 40), taskRecord(7, { attempt: 31 })], false);
  after.close();
  t.same(
    lines(path).slice(4).map((l) => l.slice(0, 27)),
    ['Task         7: Attempt 32:', 'Task         7: Attempt 33:', 'Task   1000000: Attempt 1: ', 'Task 1099511627776: Attempt', 'Task         7: Attempt 31:'],
    'attempts beyond 32, large task ids and a stray id of 2^40 (no bits allocated for it) are told apart and kept once',
  );
});

t.test('a wrapper record whose reason the scheduler gives waits for it; at the end of a run it is written as it is', async (t) => {
  const path = join(t.testdir(), 'tasks.stats');
  writeFileSync(path, '');
  const stats = new TaskStats(path);
  const vague = taskRecord(5, { status: 'failed', reason: 'terminated: the task wrapper received SIGTERM', source: 'wrapper' });
  stats.record(vague);
  stats.catchUp([vague], false);
  t.equal(lines(path).length, 0, 'not yet: the scheduler says timeout or cancelled');
  stats.record({ ...vague, reason: 'timeout: the element hit its time limit' });
  stats.catchUp([vague], true);
  stats.close();
  t.match(lines(path), [/Attempt 1: Status: failed .* Reason: timeout: the element hit its time limit$/]);
});
