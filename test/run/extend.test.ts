// `arrayflow extend` on the local executor: a larger budget continues the sequence, more replicates add tasks; the rows so far not re-run.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { register } from '../../src/cli/commands/extend.js';
import { run, summary } from '../../src/index.js';
import { readJournal } from '../../src/journal/journal.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { packageRoot } from '../../src/util/paths.js';
import { behaveSim, dropTapHooks, duckQuery, runCli, sobolConfig, writeConfig } from '../helpers/ensemble.js';

// every task is a node start: without tap's loaders in NODE_OPTIONS each starts several times faster
dropTapHooks();

// 20 + 10 tasks show what 100 + 50 did (the count is not what this is about; every task is one simulation start)
t.test('extend --budget 30 on a 20-task ensemble: 30 rows, the first 20 unchanged and not re-run', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'runs.log');
  const config = writeConfig(dir, sobolConfig(20));
  const env = { ...process.env, BEHAVE_LOG: log } as Record<string, string>;
  const first = await runCli(['run', config, '--no-progress'], { env });
  t.equal(first.exitCode, 0, first.stderr);
  const ens = join(dir, 'ens');
  const before = await duckQuery(`select task_id, a, y, start_time from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(before.length, 20);
  const planned = await readTaskTable(new EnsembleLayout(ens));

  const ext = await runCli(['extend', ens, '--budget', '30', '--no-progress'], { env });
  t.equal(ext.exitCode, 0, ext.stderr);
  t.match(ext.stdout, /resuming 30 tasks .*; 10 to run/);
  const after = await duckQuery(`select task_id, a, y, start_time from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(after.length, 30);
  t.same(after.slice(0, 20), before, 'the first 20 rows are unchanged (same values, same start times: not re-run)');
  const runs = readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
  t.equal(runs.length, 30, 'each task ran exactly once in all');
  t.equal(new Set(runs).size, 30);
  // a Sobol sequence continues: the new points are points 20..29 of the same sequence
  const tasks = await readTaskTable(new EnsembleLayout(ens));
  t.equal(tasks.length, 30);
  t.same(tasks.slice(0, 20), planned, 'the planned rows are untouched');
  t.same(tasks.slice(20).map((r) => r.id), Array.from({ length: 10 }, (_, i) => 20 + i));
  const journal = await readJournal(join(ens, 'journal.ndjson'));
  t.ok(journal.some((e) => e.event === 'extended' && e.from === 20 && e.to === 30));
});

t.test('--budget means the new total of samples, in the CLI help as in docs/sampling.md', async (t) => {
  const program = new Command();
  register(program);
  const help = program.commands[0].options.find((o) => o.long === '--budget')?.description;
  t.match(help, /^the new total number of samples/);
  t.match(readFileSync(join(packageRoot, 'docs', 'sampling.md'), 'utf8'), /`--budget N` is the new total number of samples/);
});

/** mean, sample std, sem of some numbers, the textbook way (two passes). */
function stats(xs: number[]): { count: number; mean: number; std: number; sem: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { count: xs.length, mean, std, sem: std / Math.sqrt(xs.length) };
}

t.test('extend --replicates 3 on 2 points x 2 replicates: earlier rows byte-identical, new seeds, point/replicate columns, summary by point', async (t) => {
  const dir = t.testdir();
  const config = {
    name: 'reps',
    ensemble_dir: 'ens',
    // y = 2 x task seed: every replicate has its own result
    command: ['node', 'behave.mjs', 'ok', '{task_seed}', '{a}'],
    inputs: { copy: [behaveSim] },
    parameters: { a: { uniform: [0, 1] as [number, number] } },
    sampling: { method: 'random' as const, samples: 2, seed: 11, replicates: 2 },
    executor: { type: 'local' as const, workers: 2 },
  };
  const first = await run(config, { baseDir: dir });
  t.match(first, { total: 4, done: 4 });
  const ens = join(dir, 'ens');
  // the lines with their CRLF ends (RFC 4180)
  const csv = () => readFileSync(join(ens, 'dataset.csv'), 'utf8').split(/(?<=\r\n)/);
  const before = csv();

  const ext = await runCli(['extend', ens, '--replicates', '3', '--no-progress']);
  t.equal(ext.exitCode, 0, ext.stderr);
  t.match(ext.stdout, /resuming 6 tasks .*; 2 to run/);
  const after = csv();
  t.equal(after.length, 7, 'a header and 6 rows');
  t.same(after.slice(0, 5), before, 'the header and the 4 earlier rows are byte-identical');

  const rows = await duckQuery(`select task_id, point, replicate, a, y, task_seed from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  const num = (v: unknown) => Number(v);
  t.same(
    rows.map((r) => [num(r.point), num(r.replicate)]),
    [[0, 0], [0, 1], [1, 0], [1, 1], [0, 2], [1, 2]],
    'the planned tasks, then replicate 2 of every point',
  );
  for (const r of rows) t.equal(r.a, rows[2 * num(r.point)].a, `task ${r.task_id}: the values of point ${r.point}`);
  t.equal(new Set(rows.map((r) => num(r.task_seed))).size, 6, 'every task has its own seed');
  t.same(rows.map((r) => r.y), rows.map((r) => 2 * num(r.task_seed)), 'each ran with its seed');

  const s = await summary(ens, { by: ['point'] });
  t.same(s.columns, ['y'], 'point, replicate, task_seed and the run metadata are not results');
  t.same(s.groups.map((g) => g.key.point), [0, 1]);
  for (const g of s.groups) {
    const want = stats(rows.filter((r) => num(r.point) === g.key.point).map((r) => num(r.y)));
    const got = g.stats.y;
    t.equal(got.count, 3);
    for (const k of ['mean', 'std', 'sem'] as const) t.ok(Math.abs(got[k]! - want[k]) <= 1e-12 * want.mean, `point ${g.key.point} ${k}: ${got[k]} = ${want[k]}`);
  }
});
