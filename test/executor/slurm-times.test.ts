// Through the real test Slurm: a task its element's time limit killed before it wrote a record gets its times from what
// is known: in a bundle, the start its element's runner noted for it (started/, records/starts.ts) and the element's
// end, or, for a task the runner never started, a reason that says so; an element of one task (no start lines) the
// element's start and end from the scheduler (verdict.ts elementTimes), not the moment the controller noticed.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { runEnsemble } from '../../src/run/run.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { parseSacctOutput, statusByIndex } from '../../src/scheduler/slurm/parse-status.js';
import { sacctArgv } from '../../src/scheduler/slurm/argv.js';
import type { ElementStatus } from '../../src/scheduler/types.js';
import { behaveConfig, dropTapHooks, duckQuery, writeConfig } from '../helpers/ensemble.js';
import { jobsEnded, requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();
// two ensembles of one element each, side by side: each waits about a minute for its time limit
t.jobs = 2;

/** Runs `xs` (mode unrecorded: sleeps x s, and at the time limit's SIGTERM kills its wrapper, so no record) as one element of `bundle` tasks with a time limit of 1 minute. */
async function timedOut(dir: string, name: string, xs: number[], bundle: number) {
  const cfg = writeConfig(dir, behaveConfig({ name, modes: ['unrecorded'], xs, timeout: '10m', executor: `executor: { type: slurm, resources: { time: "1", mem: 200M }, array: { bundle: ${bundle} } }` }));
  const jobIds: string[] = [];
  const result = await runEnsemble(cfg, { tickMs: { min: 300, max: 2000 }, onSubmit: (s) => jobIds.push(s.jobId) });
  await jobsEnded(jobIds);
  // asked as the controller asks (env SLURM_TIME_FORMAT=%s sacct …): epoch seconds, the instants the rows must hold
  const [program, ...args] = sacctArgv(jobIds);
  const sacct = await execa(program, args, { env: slurmEnv() });
  const element = statusByIndex(parseSacctOutput(sacct.stdout), jobIds[0]).get(0) as ElementStatus;
  const finals = selectFinal((await readRecordFiles(join(dir, 'ens', 'results'))).records);
  const rows = await duckQuery(`select task_id, status, reason, duration_s, epoch_ms(start_time) as start_ms, epoch_ms(end_time) as end_ms from read_parquet('${result.parquet}') order by task_id`);
  return { result, jobIds, element, finals, rows };
}

t.test('a timed-out bundle: the task that was running has its own start, the one after it says it never started', { timeout: 300_000 }, async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  // task 0 sleeps 2 s and is done; task 1 runs into the time limit and its wrapper is killed; task 2 never starts
  const { result, jobIds, element, finals, rows } = await timedOut(dir, 'times', [2, 300, 301], 3);
  t.same([result.done, result.failed], [1, 2]);
  t.equal(jobIds.length, 1, 'one element of one job');
  t.match(element, { state: 'timeout', start: String, end: String }, 'sacct: the element timed out');
  const end = Date.parse(element.end as string);

  const done0 = finals.get(0);
  t.match(done0, { status: 'done', source: 'wrapper' });
  const task1 = finals.get(1);
  t.match(task1, { source: 'scheduler', times: 'task_start', runs: 0, reason: /^timeout: / }, 'task 1 was running: its own start, the element\'s end');
  t.notMatch(task1?.reason, /never started/);
  t.equal(task1?.end, element.end);
  const after0 = Date.parse(task1?.start as string) - Date.parse(done0?.end as string);
  t.ok(after0 >= 0 && after0 < 5000, `task 1 started right after task 0 ended (${after0} ms later), not at the element's start or end`);
  t.ok((task1?.duration_s ?? 0) >= 45 && (task1?.duration_s ?? 0) <= 120, `task 1 ran ${task1?.duration_s} s: the rest of the minute`);
  t.match(finals.get(2), { source: 'scheduler', times: 'not_started', duration_s: 0, start: element.end, end: element.end, reason: /^timeout: .*; this task never started/ }, 'task 2 never started, and its reason says so');

  t.same(rows.map((r) => [r.task_id, r.status]), [[0, 'done'], [1, 'failed'], [2, 'failed']]);
  t.same([Number(rows[1].start_ms), Number(rows[1].end_ms)], [Date.parse(task1?.start as string), end], 'the dataset row of task 1: its start, the element\'s end');
  t.same([Number(rows[2].duration_s), Number(rows[2].start_ms), Number(rows[2].end_ms)], [0, end, end], 'the row of task 2: duration 0 at the element\'s end');
  t.match(rows[2].reason, /never started/);

  const startsDir = join(dir, 'ens', 'started');
  const starts = existsSync(startsDir) ? readdirSync(startsDir) : [];
  t.equal(starts.length, 1, 'the killed element left its start lines');
  if (starts.length !== 1) return;
  const noted = readFileSync(join(startsDir, starts[0]), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { task?: number; start?: string });
  t.same(noted.map((l) => l.task), [undefined, 0, 1], 'a header, then tasks 0 and 1 as they started: not task 2');
  t.equal(task1?.start, noted[2].start, 'task 1\'s row starts when its start line says');
});

t.test('a timed-out element of one task: its row has the element\'s start and end from the scheduler, ~ its time limit', { timeout: 300_000 }, async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const { result, element, finals, rows } = await timedOut(dir, 'times1', [300], 1);
  t.equal(result.failed, 1);
  t.match(element, { state: 'timeout', start: String, end: String }, 'sacct: the element timed out');
  t.match(finals.get(0), { source: 'scheduler', times: 'element', runs: 0, reason: /^timeout: / }, 'no record of its own, no start lines: the element\'s times');
  t.notMatch(finals.get(0)?.reason, /never started/);
  const [start, end] = [Date.parse(element.start as string), Date.parse(element.end as string)];
  t.same([Number(rows[0].start_ms), Number(rows[0].end_ms)], [start, end], 'the dataset row: start and end as sacct accounted the element');
  const duration = Number(rows[0].duration_s);
  t.ok(duration >= 60 && duration <= 120, `duration ${duration} s: about the time limit of 60 s, not 0`);
});
