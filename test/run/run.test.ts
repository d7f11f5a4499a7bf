// `arrayflow run` through the CLI on the local executor: the dataset checked by DuckDB, and SIGKILL mid-run then run again.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { behaveConfig, cli, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';

// the two subtests share nothing (own directories; the SIGKILL one looks for its own workers only) and mostly wait on tasks
t.jobs = 2;

t.test('run writes a Parquet dataset that an independent reader (DuckDB) finds equal to the records', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ modes: ['ok', 'exit3'], xs: [1, 2, 3, 4, 5, 6] }));
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 3, r.stderr);
  t.match(r.stdout, /6 done, 6 failed, 0 pending/);
  const ens = join(dir, 'ens');
  const rows = await duckQuery(`select * from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(rows.length, 12, 'one row per task, failed ones included');
  t.same(Object.keys(rows[0]).slice(0, 6), ['task_id', 'batch', 'point', 'replicate', 'mode', 'x']);
  t.same(rows.map((r) => [Number(r.point), Number(r.replicate)]), rows.map((r) => [Number(r.task_id), 0]), 'without replicates, each task is a point of its own');
  for (const col of ['y', 'label', 'even', 'status', 'reason', 'exit_code', 'attempt', 'host', 'start_time', 'end_time', 'duration_s']) {
    t.ok(col in rows[0], `column ${col}`);
  }
  const finals = selectFinal((await readRecordFiles(join(ens, 'results'))).records);
  const tasks = await readTaskTable(new EnsembleLayout(ens));
  for (const row of rows) {
    const id = Number(row.task_id);
    const rec = finals.get(id);
    t.equal(row.mode, tasks[id].params.mode);
    t.equal(Number(row.x), tasks[id].params.x);
    t.equal(row.status, rec?.status);
    t.equal(row.reason ?? null, rec?.reason ?? null);
    if (rec?.status === 'done') t.equal(Number(row.y), rec.result?.y);
    else t.equal(row.y, null, 'a failed row has no result values');
  }
  const csv = await duckQuery(`select count(*)::int as n, count(distinct task_id)::int as d from read_csv_auto('${join(ens, 'dataset.csv')}')`);
  t.same(csv, [{ n: 12, d: 12 }]);
  t.notOk(existsSync(new EnsembleLayout(ens).datasetDir), 'the live parts are gone: the compacted dataset supersedes them');
  t.notOk(existsSync(new EnsembleLayout(ens).followLock), 'and no follow lock is left');
  const manifest = JSON.parse(readFileSync(join(ens, 'manifest.json'), 'utf8'));
  t.equal(manifest.tool.name, 'arrayflow');
  t.equal(manifest.node, process.version);
  t.equal(manifest.sampling.seed, 7);
  t.match(manifest.task_hash, /^[0-9a-f]{64}$/);

  const status = await runCli(['status', ens, '--json']);
  t.same(JSON.parse(status.stdout), { ensembleDir: ens, name: 'test', total: 12, done: 6, failed: 6, pending: 0, cancelled: 0, settings_changed: [], chunks: [] });
});

t.test('SIGKILL of `run` mid-ensemble, then run again: every task once, recorded tasks not re-run', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'executions.log');
  const config = writeConfig(dir, behaveConfig({ modes: ['sleep'], xs: Array.from({ length: 30 }, (_, i) => 0.3 + i / 1000) }));
  const env = { ...process.env, BEHAVE_LOG: log } as Record<string, string>;
  const child = execa(process.execPath, [cli, 'run', config, '--no-progress'], { env, reject: false });
  const results = join(dir, 'ens', 'results');
  const recordsSoFar = async () => selectFinal((await readRecordFiles(results).catch(() => ({ records: [] }))).records).size;
  while ((await recordsSoFar()) < 6) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGKILL');
  await child;
  // orphaned workers stop their current task (recorded as interrupted) and exit (their stdin closed): wait until none is left
  for (let i = 0; i < 100; i++) {
    const ps = await execa('pgrep', ['-f', `task ${join(dir, 'ens')} --worker`], { reject: false });
    if (ps.stdout.trim() === '') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  // the tasks that ended before the kill; the interrupted ones run again
  const finals = [...selectFinal((await readRecordFiles(results)).records).values()];
  const before = new Set(finals.filter((r) => r.status === 'done').map((r) => r.task));
  t.ok(before.size >= 6 && before.size < 30, `killed mid-ensemble with ${before.size} tasks recorded`);
  t.ok(finals.every((r) => r.status === 'done' || r.status === 'interrupted'), 'a task stopped by the kill is interrupted, not failed');

  const again = await execa(process.execPath, [cli, 'run', config, '--no-progress'], { env, reject: false });
  t.equal(again.exitCode, 0, again.stderr);
  t.match(again.stdout, new RegExp(`resuming 30 tasks .*; ${30 - before.size} to run`));
  t.match(again.stdout, /30 done, 0 failed, 0 pending/);
  const runs = new Map<number, number>();
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    const id = Number(line.split(' ')[0]);
    runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  for (const id of before) t.equal(runs.get(id), 1, `task ${id} recorded before the kill ran once`);
  const rows = await duckQuery(`select task_id, count(*)::int as n from read_parquet('${join(dir, 'ens', 'dataset.parquet')}') group by task_id`);
  t.equal(rows.length, 30, 'every task has a row');
  t.ok(rows.every((r) => r.n === 1), 'no duplicate rows');
});
