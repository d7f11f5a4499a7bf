// Retries on the local executor: automatic ones under retry_on, `arrayflow retry --failed` by hand, attempts in the dataset (and `show`).
import t from 'tap';
import { join } from 'node:path';
import { behaveSim, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';

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
  t.equal(r.exitCode, 3, r.stderr);
  const ens = join(dir, 'ens');
  let rows = await duckQuery(`select task_id, mode, status, attempt, reason from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.same(rows.map((x) => [x.mode, x.status, x.attempt]), [['ok', 'done', 1], ['exit3', 'failed', 1], ['sleep', 'failed', 3]], 'only the timeout was retried, twice');

  const again = await runCli(['retry', ens, '--failed', '--reason', 'exit code', '--no-progress']);
  t.equal(again.exitCode, 3, again.stderr);
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
