// Through the real test Slurm: a task its element's time limit killed before it wrote a record gets the element's start
// and end from the scheduler (verdict.ts elementTimes), not the moment the controller noticed; a bundle's unstarted task its end.
import t from 'tap';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { execa } from 'execa';
import { runEnsemble } from '../../src/run/run.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { parseSacctOutput, statusByIndex } from '../../src/scheduler/slurm/parse-status.js';
import { sacctArgv } from '../../src/scheduler/slurm/argv.js';
import { behaveConfig, dropTapHooks, writeConfig } from '../helpers/ensemble.js';
import { jobsEnded, requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();

t.test('a timed-out task without a record: its row has the element\'s start and end from the scheduler, ~ its time limit', { timeout: 300_000 }, async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  // one element of two tasks: the first is killed at the time limit with its wrapper, so it writes no record (mode
  // unrecorded); the second never starts
  const cfg = writeConfig(dir, behaveConfig({ name: 'times', modes: ['unrecorded'], xs: [300, 301], timeout: '10m', executor: 'executor: { type: slurm, resources: { time: "1", mem: 200M }, array: { bundle: 2 } }' }));
  const jobIds: string[] = [];
  const result = await runEnsemble(cfg, { tickMs: { min: 300, max: 2000 }, onSubmit: (s) => jobIds.push(s.jobId) });
  await jobsEnded(jobIds);
  t.equal(result.failed, 2);
  t.equal(jobIds.length, 1, 'one element of one job');

  // asked as the controller asks (env SLURM_TIME_FORMAT=%s sacct …): epoch seconds, the instants the row must hold
  const [program, ...args] = sacctArgv(jobIds);
  const sacct = await execa(program, args, { env: slurmEnv() });
  const element = statusByIndex(parseSacctOutput(sacct.stdout), jobIds[0]).get(0);
  t.match(element, { state: 'timeout', start: String, end: String }, 'sacct: the element timed out');
  const start = Date.parse(element?.start as string);
  const end = Date.parse(element?.end as string);

  const finals = selectFinal((await readRecordFiles(join(dir, 'ens', 'results'))).records);
  t.match(finals.get(0), { source: 'scheduler', times: 'element', runs: 0, reason: /^timeout: / }, 'task 0: no record of its own, the element\'s times');
  t.match(finals.get(1), { source: 'scheduler', times: 'element_end', duration_s: 0, reason: /^timeout: / }, 'task 1 never started: the element\'s end');
  t.equal(finals.get(1)?.start, element?.end);

  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const rows = (await c.runAndReadAll(`select task_id, status, duration_s, epoch_ms(start_time), epoch_ms(end_time) from read_parquet('${result.parquet}') order by task_id`)).getRows();
  const [id, status, duration, rowStart, rowEnd] = rows[0];
  t.same([id, status], [0, 'failed']);
  t.same([Number(rowStart), Number(rowEnd)], [start, end], 'the dataset row: start and end as sacct accounted the element');
  t.ok(Number(duration) >= 60 && Number(duration) <= 120, `duration ${duration} s: about the time limit of 60 s, not 0`);
  t.same(rows[1].slice(2).map(Number), [0, end, end], 'the unstarted task: duration 0 at the element\'s end');
});
