// `arrayflow extend` on the local executor: a larger budget continues the sequence, the rows so far not re-run.
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
