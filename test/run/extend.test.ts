// Lifecycle on the local executor: extend the budget, retries (automatic, filtered, by hand), resume, show.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { behaveSim, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';


t.test('extend --budget 50 on a 100-task ensemble: 150 rows, the first 100 unchanged and not re-run', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'runs.log');
  const config = writeConfig(
    dir,
    `name: grow
ensemble_dir: ens
command: [node, behave.mjs, ok, "{a}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  a: { uniform: [0, 10] }
sampling: { method: sobol, samples: 100, seed: 5 }
executor: { workers: 2 }
`,
  );
  const env = { ...process.env, BEHAVE_LOG: log } as Record<string, string>;
  const first = await runCli(['run', config, '--no-progress'], { env });
  t.equal(first.exitCode, 0, first.stderr);
  const ens = join(dir, 'ens');
  const before = await duckQuery(`select task_id, a, y, start_time from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(before.length, 100);
  const planned = await readTaskTable(new EnsembleLayout(ens));

  const ext = await runCli(['extend', ens, '--budget', '50', '--no-progress'], { env });
  t.equal(ext.exitCode, 0, ext.stderr);
  t.match(ext.stdout, /resuming 150 tasks .*; 50 to run/);
  const after = await duckQuery(`select task_id, a, y, start_time from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(after.length, 150);
  t.same(after.slice(0, 100), before, 'the first 100 rows are unchanged (same values, same start times: not re-run)');
  const runs = readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
  t.equal(runs.length, 150, 'each task ran exactly once in all');
  t.equal(new Set(runs).size, 150);
  // a Sobol sequence continues: the new points are points 100..149 of the same sequence
  const tasks = await readTaskTable(new EnsembleLayout(ens));
  t.equal(tasks.length, 150);
  t.same(tasks.slice(0, 100), planned, 'the planned rows are untouched');
  t.same(tasks.slice(100).map((r) => r.id), Array.from({ length: 50 }, (_, i) => 100 + i));
  const journal = await readJournal(join(ens, 'journal.ndjson'));
  t.ok(journal.some((e) => e.event === 'extended' && e.from === 100 && e.to === 150));
});

t.test('automatic retries honour retry_on; retry --failed by hand adds an attempt; attempts are in the dataset', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: again
ensemble_dir: ens
command: [node, behave.mjs, "{mode}", "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
timeout: 4s
parameters:
  mode: { values: [ok, exit3, sleep] }
  x: { values: [30] }
sampling: { method: grid }
executor: { workers: 3, retries: 2, retry_on: [timeout] }
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  const ens = join(dir, 'ens');
  let rows = await duckQuery(`select task_id, mode, status, attempt, reason from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.same(rows.map((x) => [x.mode, x.status, x.attempt]), [['ok', 'done', 1], ['exit3', 'failed', 1], ['sleep', 'failed', 3]], 'only the timeout was retried, twice');

  const again = await runCli(['retry', ens, '--failed', '--reason', 'exit code', '--no-progress']);
  t.equal(again.exitCode, 0, again.stderr);
  t.match(again.stdout, /retried 1 failed task/);
  rows = await duckQuery(`select task_id, status, attempt, reason from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(rows[1].attempt, 2, 'the exit-3 task ran a second time');
  t.equal(rows[1].reason, 'exit code 3');
  t.equal(rows[2].attempt, 3, 'the timeout task was not retried by the exit-code filter');

  const show = await runCli(['show', ens]);
  const info = JSON.parse(show.stdout);
  t.equal(info.counts.total, 3);
  t.ok(info.hosts.length >= 1, 'the hosts that ran tasks are listed');
  t.equal(info.manifest.sampling.method, 'grid');
});

t.test('resume from the ensemble directory alone', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, `name: res
ensemble_dir: ens
command: [node, behave.mjs, ok, "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  x: { int: [1, 6] }
sampling: { method: grid }
`);
  t.equal((await runCli(['plan', config])).exitCode, 0);
  const r = await runCli(['resume', join(dir, 'ens'), '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /6 done, 0 failed, 0 pending/);
  const again = await runCli(['resume', join(dir, 'ens'), '--no-progress']);
  t.match(again.stdout, /; 0 to run/);
});
