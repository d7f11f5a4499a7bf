// `arrayflow extend` on the local executor: a larger budget continues the sequence, the rows so far not re-run.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { behaveSim, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';

// 20 + 10 tasks show what 100 + 50 did (the count is not what this is about; every task is one simulation start)
t.test('extend --budget 10 on a 20-task ensemble: 30 rows, the first 20 unchanged and not re-run', async (t) => {
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
sampling: { method: sobol, samples: 20, seed: 5 }
executor: { workers: 2 }
`,
  );
  const env = { ...process.env, BEHAVE_LOG: log } as Record<string, string>;
  const first = await runCli(['run', config, '--no-progress'], { env });
  t.equal(first.exitCode, 0, first.stderr);
  const ens = join(dir, 'ens');
  const before = await duckQuery(`select task_id, a, y, start_time from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(before.length, 20);
  const planned = await readTaskTable(new EnsembleLayout(ens));

  const ext = await runCli(['extend', ens, '--budget', '10', '--no-progress'], { env });
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
