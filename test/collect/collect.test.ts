import t from 'tap';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { collect } from '../../src/collect/collect.js';
import { readDatasetParquet } from '../../src/collect/parquet.js';
import { encodeTaskTable, rowsTable } from '../../src/plan/tasks.js';
import type { TaskRecord } from '../../src/records/record.js';
import { doneRecord, failedRecord, shuffled, taskRows, writeEnsemble } from './fixtures/ensemble.js';

const PARAMS = ['alpha', 'beta', 'mode'];

function records(n: number): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) continue; // still running
    if (i % 10 === 4) out.push(failedRecord(i, 'exit code 1'), doneRecord(i, 2)); // retried
    else if (i % 10 === 6) out.push(failedRecord(i, 'terminated: SIGTERM'), failedRecord(i, 'timeout: limit', { source: 'scheduler' }));
    else if (i % 10 === 8) out.push(failedRecord(i, 'lost: no record', { source: 'controller' }));
    else out.push(doneRecord(i));
  }
  return out;
}

t.test('collect writes the dataset and counts rows, done, failed and bad lines', async (t) => {
  const dir = t.testdir({});
  writeEnsemble(dir, taskRows(100), records(100), 4);
  appendFileSync(join(dir, 'results', 'w0000.ndjson'), 'oops\n{"task": 1, "att');
  const r = await collect(new EnsembleLayout(dir), PARAMS);
  t.same(r, { rows: 90, done: 70, failed: 20, badLines: 1, files: { parquet: join(dir, "dataset.parquet"), csv: join(dir, "dataset.csv") } });
  const table = await readDatasetParquet(r.files.parquet);
  t.equal(table.numRows, 90);
  const status = table.getChild('status')!;
  const reason = table.getChild('reason')!;
  const ids = table.getChild('task_id')!;
  for (let i = 0; i < table.numRows; i++) {
    const id = ids.get(i) as number;
    if (id % 10 === 4) t.equal(status.get(i), 'done', `task ${id} retried to done`);
    if (id % 10 === 6) t.equal(reason.get(i), 'timeout: limit', `task ${id} refined by the scheduler`);
    if (id % 10 === 8) t.equal(reason.get(i), 'lost: no record');
  }
  t.same(readdirSync(dir).sort(), ['dataset.csv', 'dataset.parquet', 'plan', 'results']);
});

t.test('collect is idempotent and independent of how records are spread over files', async (t) => {
  const a = t.testdir({});
  writeEnsemble(a, taskRows(500), records(500), 8);
  const first = await collect(new EnsembleLayout(a), PARAMS);
  const p1 = readFileSync(first.files.parquet);
  const c1 = readFileSync(first.files.csv);
  const second = await collect(new EnsembleLayout(a), PARAMS);
  t.ok(readFileSync(second.files.parquet).equals(p1), 'parquet byte-identical');
  t.ok(readFileSync(second.files.csv).equals(c1), 'csv byte-identical');

  const b = t.testdir({});
  writeEnsemble(b, taskRows(500), shuffled(records(500), 7), 3);
  const other = await collect(new EnsembleLayout(b), PARAMS);
  t.ok(readFileSync(other.files.parquet).equals(p1), 'same records, other files/order: same parquet');
  t.ok(readFileSync(other.files.csv).equals(c1), 'same records, other files/order: same csv');
});

t.test('no results yet: an empty dataset, not an error', async (t) => {
  const dir = t.testdir({ plan: { 'tasks.bin': encodeTaskTable(rowsTable(taskRows(3))) } });
  const r = await collect(new EnsembleLayout(dir), PARAMS);
  t.match(r, { rows: 0, done: 0, failed: 0, badLines: 0 });
  const pending = await collect(new EnsembleLayout(dir), PARAMS, { includePending: true });
  t.equal(pending.rows, 3);
});

t.test('a missing task table is an EnsembleError', async (t) => {
  const dir = t.testdir({});
  await t.rejects(collect(new EnsembleLayout(dir), PARAMS), { name: 'EnsembleError', code: 'E_ENSEMBLE' });
});

t.test('100k tasks with one-row results', async (t) => {
  const n = 100_000;
  const dir = t.testdir({});
  const tasks = taskRows(n);
  writeEnsemble(dir, tasks, tasks.map((x) => doneRecord(x.id)), 64);
  const r = await collect(new EnsembleLayout(dir), PARAMS);
  t.equal(r.rows, n);
  t.equal(r.done, n);
  t.equal((await readDatasetParquet(r.files.parquet)).numRows, n);
  t.equal(readFileSync(r.files.csv, 'utf8').split('\r\n').length, n + 2);
});
