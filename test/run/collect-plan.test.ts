// Collecting one ensemble: re-run tasks are named by one `reran` journal event, not again on the next collection.
import t from 'tap';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal, unjournalledReruns } from '../../src/journal/journal.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import type { PlanFile } from '../../src/plan/plan.js';
import { collectEnsemble } from '../../src/run/collect-plan.js';
import { doneRecord, taskRows, writeEnsemble } from '../collect/fixtures/ensemble.js';
import { duckQuery } from '../helpers/ensemble.js';

const PLAN = { tasks: 6, param_names: ['alpha', 'beta', 'mode'], design: { sampling: { method: 'grid' } } } as unknown as PlanFile;

t.test('a re-run task: runs in its row, one reran event, named again only when it ran once more', async (t) => {
  const dir = t.testdir({ logs: {} });
  // another run of the task, s seconds later (a run is told by its start)
  const shift = (iso: string, s: number) => new Date(Date.parse(iso) + s * 1000).toISOString();
  const again = (task: number, s: number) => ({ ...doneRecord(task), start: shift(doneRecord(task).start, s), end: shift(doneRecord(task).end, s) });
  writeEnsemble(dir, taskRows(6), [0, 1, 2, 3, 4, 5].map((i) => doneRecord(i)).concat([again(1, 5), again(4, 5)]), 2);
  const layout = new EnsembleLayout(dir);
  const reran = async () => (await readJournal(layout.journal)).flatMap((e) => (e.event === 'reran' ? [e.tasks] : []));

  const r = await collectEnsemble(layout, PLAN);
  t.equal(r.done, 6, 'rows = tasks');
  const rows = await duckQuery(`select task_id, runs from read_parquet('${layout.datasetParquet}') order by task_id`);
  t.same(rows.map((x) => [x.task_id, x.runs]), [[0, 1], [1, 2], [2, 1], [3, 1], [4, 2], [5, 1]]);
  t.same(await reran(), [[[1, 2], [4, 2]]]);

  await collectEnsemble(layout, PLAN);
  t.same(await reran(), [[[1, 2], [4, 2]]], 'a second collection names nobody again');

  appendFileSync(join(dir, 'results', 'late.ndjson'), JSON.stringify(again(4, 9)) + '\n');
  await collectEnsemble(layout, PLAN);
  t.same(await reran(), [[[1, 2], [4, 2]], [[4, 3]]], 'task 4 ran a third time: named once more, alone');

  // the same record once more (a record file copied): the same run, not a fourth
  appendFileSync(join(dir, 'results', 'copy.ndjson'), JSON.stringify(again(4, 9)) + '\n');
  await collectEnsemble(layout, PLAN);
  t.same(await reran(), [[[1, 2], [4, 2]], [[4, 3]]], 'a copied record is no re-run');
  const [four] = await duckQuery(`select runs from read_parquet('${layout.datasetParquet}') where task_id = 4`);
  t.equal(four.runs, 3);
});

t.test('unjournalledReruns: what earlier reran events named (at that count or more) is left out', async (t) => {
  const journal = [
    { ts: 't', event: 'reran' as const, tasks: [[1, 2], [3, 4]] as Array<[number, number]> },
    { ts: 't', event: 'collected' as const, rows: 1, done: 1, failed: 0 },
  ];
  t.same(unjournalledReruns(journal, [[1, 2], [2, 2], [3, 3], [3, 5]]), [[2, 2], [3, 5]]);
  t.same(unjournalledReruns([], [[0, 2]]), [[0, 2]]);
});
