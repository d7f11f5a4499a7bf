// The failure loop through the CLI on the real test Slurm: a run with failed tasks exits 3, `status --failed` gives
// the reasons, and after a scancel of the running array `retry --failed --reason cancelled` runs the cancelled tasks
// again, each ending with exactly one row.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { readRecordFiles } from '../../src/records/read.js';
import { behaveConfig, dropTapHooks, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();

t.test('exit 3, status --failed, then scancel and retry --failed --reason cancelled: one row per task', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const log = join(dir, 'started.log');
  // tasks 0-1 fail at once (exit 3); tasks 2-3 sleep on their first attempt until cancelled, and succeed on the next
  const config = writeConfig(
    dir,
    behaveConfig({
      name: 'cancelme',
      modes: ['exit3', 'sleepfirst'],
      xs: [60, 61],
      executor: 'executor: { type: slurm, poll: 5, resources: { time: "00:05:00", mem: 200M }, array: { bundle: 1 } }',
    }),
  );
  const ens = join(dir, 'ens');
  const env = { ...slurmEnv(), BEHAVE_LOG: log } as Record<string, string>;
  const run = runCli(['run', config, '--no-progress'], { env });
  // every task started (the sleeping ones are running): cancel the whole array
  for (let i = 0; i < 300 && !(existsSync(log) && readFileSync(log, 'utf8').split('\n').length > 4); i++) await new Promise((r) => setTimeout(r, 200));
  const jobId = /"job_id":"(\d+)"/.exec(readFileSync(join(ens, 'journal.ndjson'), 'utf8'))?.[1];
  t.ok(jobId, 'the array was submitted');
  await execa('scancel', [String(jobId)], { env });
  const first = await run;
  t.equal(first.exitCode, 3, `a run that ended with failed tasks exits 3\n${first.stderr}`);
  t.match(first.stdout, /0 done, 4 failed, 0 pending/);
  t.match(first.stdout, `2 tasks were cancelled; run them again with: arrayflow retry ${ens} --failed --reason cancelled`);

  const status = await runCli(['status', ens, '--failed'], { env });
  t.equal(status.exitCode, 0, status.stderr);
  t.match(status.stdout, /task 0 \(attempt 1\): exit code 3\n {2}params: mode="exit3" x=60/);
  t.match(status.stdout, /stderr\| simulated failure: giving up/);
  t.match(status.stdout, /task 2 \(attempt 1\): cancelled: /);
  t.match(status.stdout, `2 tasks were cancelled; run them again with: arrayflow retry ${ens} --failed --reason cancelled`);

  const again = await runCli(['retry', ens, '--failed', '--reason', 'cancelled', '--no-progress'], { env });
  t.equal(again.exitCode, 3, `the exit-3 tasks are still failed\n${again.stderr}`);
  t.match(again.stdout, /retried 2 failed tasks/);
  const rows = await duckQuery(`select task_id, mode, status, attempt from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.same(
    rows.map((r) => [r.task_id, r.mode, r.status, r.attempt]),
    [
      [0, 'exit3', 'failed', 1],
      [1, 'exit3', 'failed', 1],
      [2, 'sleepfirst', 'done', 2],
      [3, 'sleepfirst', 'done', 2],
    ],
    'one row per task: the cancelled ones done on their second attempt',
  );
  const { records } = await readRecordFiles(join(ens, 'results'));
  const attempts = (task: number) => records.filter((r) => r.task === task && r.status === 'done').length;
  t.same([attempts(2), attempts(3)], [1, 1], 'each cancelled task ran to done exactly once');
});
