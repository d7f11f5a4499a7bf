// `arrayflow cancel` while `arrayflow run` runs on the real test Slurm: the controller notices it, submits nothing more
// (no learned-bundle submission, no automatic retry), records every unfinished task as cancelled and exits 3.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { behaveConfig, dropTapHooks, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { jobsEnded, requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();

/** Waits until `n` tasks have started (BEHAVE_LOG has a line each), up to a minute. */
async function started(log: string, n: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (existsSync(log) && readFileSync(log, 'utf8').trim().split('\n').length >= n) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts `run` on `config`, cancels once `running` tasks started, and returns both commands' outcomes and the times. */
async function runThenCancel(dir: string, config: string, running: number) {
  const ens = join(dir, 'ens');
  const log = join(dir, 'started.log');
  const env = { ...slurmEnv(), BEHAVE_LOG: log } as Record<string, string>;
  // main submitted again after the cancel and ran the held tasks for a minute: the timeout bounds such a failure
  const run = runCli(['run', config, '--no-progress'], { env, timeout: 150_000 });
  await started(log, running);
  const cancelledAt = Date.now();
  const cancel = await runCli(['cancel', ens], { env });
  const outcome = await run;
  const endedAt = Date.now();
  const journal = await readJournal(join(ens, 'journal.ndjson'));
  const jobIds = journal.flatMap((e) => (e.event === 'submitted' ? [e.job_id] : []));
  await jobsEnded(jobIds);
  return { ens, env, cancel, outcome, cancelledAt, endedAt, journal, jobIds };
}

t.test('cancel during the probe: no learned bundle, no submission after it; 10 cancelled rows; exit 3', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  // no bundle and no task time: the 8 probe tasks are submitted, the other 2 wait for the bundle their times give
  const config = writeConfig(
    dir,
    behaveConfig({
      name: 'cancelprobe',
      modes: ['sleepfirst'],
      xs: Array.from({ length: 10 }, (_, i) => 60 + i),
      executor: 'executor: { type: slurm, poll: 5, resources: { time: "00:05:00", mem: 200M } }',
    }),
  );
  const r = await runThenCancel(dir, config, 8);
  t.equal(r.cancel.exitCode, 0, r.cancel.stderr);
  t.match(r.cancel.stdout, /^cancelled jobs \d+\nstopping the controller running this ensemble \(pid \d+ on /);
  t.equal(r.outcome.exitCode, 3, `a cancelled run exits 3\n${r.outcome.stdout}\n${r.outcome.stderr}`);
  t.ok(r.endedAt - r.cancelledAt < 60_000, `the controller ended ${Math.round((r.endedAt - r.cancelledAt) / 1000)} s after the cancel`);
  t.match(r.outcome.stdout, /0 done, 10 failed, 0 pending/);
  t.match(r.outcome.stdout, /stopped by arrayflow cancel: nothing more was started or submitted/);
  t.match(r.outcome.stdout, `10 tasks were cancelled; run them again with: arrayflow retry ${r.ens} --failed --reason cancelled`);

  t.same(r.journal.filter((e) => e.event === 'bundle_learned'), [], 'no bundle learned from the cancelled probe');
  t.equal(r.jobIds.length, 1, 'the probe was the only submission');
  t.match(r.journal.filter((e) => e.event === 'cancelled'), [{ job_ids: r.jobIds, run: String }], 'the controller journalled the cancel');

  const { records } = await readRecordFiles(join(r.ens, 'results'));
  const finals = selectFinal(records);
  t.equal(finals.size, 10);
  t.ok([...finals.values()].every((f) => f.status === 'failed' && f.attempt === 1 && /^cancelled: /.test(f.reason ?? '')), 'every task: cancelled at attempt 1');
  t.match(finals.get(9)?.reason, /before this attempt started/, 'a held task: cancelled before it was submitted');
  const rows = await duckQuery(`select count(*)::int as n, count(distinct task_id)::int as tasks from read_parquet('${join(r.ens, 'dataset.parquet')}')`);
  t.same(rows, [{ n: 10, tasks: 10 }], 'one row per task');

  // resume after the cancel is a request to go on, not to rerun what was cancelled: that is retry's
  const resumed = await runCli(['resume', r.ens, '--no-progress'], { env: r.env, timeout: 60_000 });
  t.equal(resumed.exitCode, 3, resumed.stderr);
  t.match(resumed.stdout, /resuming 10 tasks in .*; 0 to run/);
  t.equal((await readJournal(join(r.ens, 'journal.ndjson'))).filter((e) => e.event === 'submitted').length, 1, 'resume submitted nothing');
});

t.test('cancel with retries: 2: the cancelled tasks are not retried automatically; exit 3', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  // sleepfirst: attempt 1 sleeps until cancelled, a second attempt would succeed at once (and exit 0 on main)
  const config = writeConfig(
    dir,
    behaveConfig({
      name: 'cancelretries',
      modes: ['sleepfirst'],
      xs: [60, 61, 62, 63],
      executor: 'executor: { type: slurm, poll: 5, retries: 2, resources: { time: "00:05:00", mem: 200M }, array: { bundle: 1 } }',
    }),
  );
  const r = await runThenCancel(dir, config, 4);
  t.equal(r.outcome.exitCode, 3, `a cancelled run exits 3\n${r.outcome.stdout}\n${r.outcome.stderr}`);
  t.match(r.outcome.stdout, /0 done, 4 failed, 0 pending/);
  t.equal(r.jobIds.length, 1, 'no resubmission of the cancelled tasks');
  const finals = selectFinal((await readRecordFiles(join(r.ens, 'results'))).records);
  t.same([...finals.values()].map((f) => [f.task, f.attempt, f.status, f.reason?.split(':')[0]]), [0, 1, 2, 3].map((i) => [i, 1, 'failed', 'cancelled']));

  // only an explicit retry runs them again
  const again = await runCli(['retry', r.ens, '--failed', '--reason', 'cancelled', '--no-progress'], { env: r.env, timeout: 120_000 });
  t.equal(again.exitCode, 0, `${again.stdout}\n${again.stderr}`);
  t.match(again.stdout, /retried 4 failed tasks[\s\S]*4 done, 0 failed, 0 pending/);
});
