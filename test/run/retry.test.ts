// Retries on the local executor: automatic ones under retry_on and retry_scale, `arrayflow retry --failed` by hand (with the config's new settings), attempts in the dataset (and `show`).
import t from 'tap';
import { copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { failures, retry, run, show } from '../../src/index.js';
import { behaveConfig, behaveSim, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';

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

  // --reason: a misspelt kind is refused before anything runs; a whole reason as status shows it means its kind; a kind
  // no failed task has says which kinds they have
  const typo = await runCli(['retry', ens, '--failed', '--reason', 'timout', '--no-progress']);
  t.equal(typo.exitCode, 2, typo.stderr);
  t.match(typo.stderr, /--reason 'timout' is not a failure kind; the kinds are timeout, out of memory, .*; did you mean 'timeout'\?/);
  const none = await runCli(['retry', ens, '--failed', '--reason', 'cancelled', '--no-progress']);
  t.match(none.stdout, /retried 0 failed tasks/);
  t.match(none.stderr, /no failed task is of kind 'cancelled'; the failed tasks: exit code 1, timeout 1/);
  const whole = await runCli(['retry', ens, '--failed', '--reason', 'exit code 3', '--no-progress']);
  t.match(whole.stdout, /retried 1 failed task\n/);
  rows = await duckQuery(`select task_id, attempt from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.same(rows.map((x) => x.attempt), [1, 3, 3], 'the reason text of status --failed selected its kind');

  const show = await runCli(['show', ens]);
  const info = JSON.parse(show.stdout);
  t.equal(info.counts.total, 3);
  t.ok(info.hosts.length >= 1, 'the hosts that ran tasks are listed');
  t.equal(info.manifest.sampling.method, 'grid');
});

t.test('a too-short timeout fixed in the config: retry CONFIG --failed runs the task with the new one (journalled, shown); other tasks are refused', async (t) => {
  const dir = t.testdir();
  const yaml = (timeout: string, command = '[node, behave.mjs, "{mode}", "{x}"]') =>
    behaveConfig({ name: 'fix', modes: ['sleep'], xs: [3], timeout, executor: 'executor: { type: local, workers: 1 }' }).replace('[node, behave.mjs, "{mode}", "{x}"]', command);
  const config = writeConfig(dir, yaml('2s'));
  const first = await run(config);
  t.match(first, { done: 0, failed: 1 });
  t.match((await failures(first.ensembleDir))[0], { reason: 'timeout: exceeded the task time limit of 2 s', attempt: 1 });

  // what the task runs may not change: refused, naming the key, before anything runs
  writeConfig(dir, yaml('30s', '[node, behave.mjs, "{mode}", "{x}", extra]'));
  await t.rejects(retry(config, { reason: 'timeout' }), { name: 'ConfigError', issues: [{ file: config, line: 3, path: 'command', message: /^differs from the ensemble planned in .*: it defines the tasks, and only execution settings/ }] });

  writeConfig(dir, yaml('30s'));
  const r = await runCli(['retry', config, '--failed', '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /execution settings of .*ens changed \(journalled.*\n {2}timeout: 2 -> 30\n/);
  t.match(r.stdout, /retried 1 failed task/);
  const rows = await duckQuery(`select status, attempt, slept from read_parquet('${join(first.ensembleDir, 'dataset.parquet')}')`);
  t.same(rows, [{ status: 'done', attempt: 2, slept: 3 }], 'one row: done on its second attempt');
  const info = await show(first.ensembleDir);
  t.equal(info.settings.timeout, 30, 'show: the settings the next run uses');
  t.same(info.settings_changes.map((s) => s.changes), [[{ key: 'timeout', from: 2, to: 30 }]], 'show: every change');
  const status = await runCli(['status', first.ensembleDir]);
  t.match(status.stdout, /execution settings changed since planned .*\n {2}timeout: 2 -> 30 \(\d{4}-/);
});

t.test('retry_scale.time grows the local timeout per attempt', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    behaveConfig({ name: 'scale', modes: ['sleep'], xs: [1.5], timeout: '1s', executor: 'executor: { type: local, workers: 1, retries: 1, retry_scale: { time: 4 } }' }),
  );
  const r = await run(config);
  t.match(r, { done: 1, failed: 0 });
  const rows = await duckQuery(`select status, attempt from read_parquet('${r.dataset.parquet}')`);
  t.same(rows, [{ status: 'done', attempt: 2 }], 'the first attempt timed out at 1 s, the second had 4 s');
});

t.test('retry DIR checks the inputs as run does: a missing one is a config error (exit 2) before anything is journalled', async (t) => {
  const dir = t.testdir();
  copyFileSync(behaveSim, join(dir, 'sim.mjs'));
  const yaml = behaveConfig({ name: 'inputs', modes: ['exit3'], xs: [1], executor: 'executor: { type: local, workers: 1 }' })
    .replace(`inputs: { copy: [${JSON.stringify(behaveSim)}] }`, 'inputs: { copy: [sim.mjs] }')
    .replace('behave.mjs', 'sim.mjs');
  const config = writeConfig(dir, yaml);
  t.equal((await runCli(['run', config, '--no-progress'])).exitCode, 3);
  const ens = join(dir, 'ens');
  const journal = readFileSync(join(ens, 'journal.ndjson'), 'utf8');
  renameSync(join(dir, 'sim.mjs'), join(dir, 'moved.mjs'));

  const fromDir = await runCli(['retry', ens, '--failed', '--no-progress']);
  t.equal(fromDir.exitCode, 2, fromDir.stderr);
  t.equal(fromDir.stderr, `${join(ens, 'config.yaml')}:4:18: inputs.copy[0]: input to copy ${join(dir, 'sim.mjs')} does not exist; paths are relative to the directory of the config the ensemble was planned from\n1 problem in the config.`);
  const fromConfig = await runCli(['retry', config, '--failed', '--no-progress']);
  t.equal(fromConfig.exitCode, 2, 'given the config file: the same check');
  t.match(fromConfig.stderr, `${config}:4:18: inputs.copy[0]: input to copy ${join(dir, 'sim.mjs')} does not exist`);
  t.equal(readFileSync(join(ens, 'journal.ndjson'), 'utf8'), journal, 'no retry journalled, nothing run');

  renameSync(join(dir, 'moved.mjs'), join(dir, 'sim.mjs'));
  const again = await runCli(['retry', ens, '--failed', '--no-progress']);
  t.equal(again.exitCode, 3, 'the input back: the task runs (and fails as it does)');
  t.match((await failures(ens))[0], { attempt: 2, reason: 'exit code 3' });
});
