import t from 'tap';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { collect } from '../../src/collect/collect.js';
import { readDatasetParquet } from '../../src/collect/parquet.js';
import { encodeTaskTable, rowsTable } from '../../src/plan/tasks.js';
import type { TaskRecord } from '../../src/records/record.js';
import { doneRecord, failedRecord, shuffled, taskRows, writeEnsemble } from './fixtures/ensemble.js';
import { duckQuery } from '../helpers/ensemble.js';

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
  const c1 = readFileSync(first.files.csv!);
  const second = await collect(new EnsembleLayout(a), PARAMS);
  t.ok(readFileSync(second.files.parquet).equals(p1), 'parquet byte-identical');
  t.ok(readFileSync(second.files.csv!).equals(c1), 'csv byte-identical');

  const b = t.testdir({});
  writeEnsemble(b, taskRows(500), shuffled(records(500), 7), 3);
  const other = await collect(new EnsembleLayout(b), PARAMS);
  t.ok(readFileSync(other.files.parquet).equals(p1), 'same records, other files/order: same parquet');
  t.ok(readFileSync(other.files.csv!).equals(c1), 'same records, other files/order: same csv');
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

t.test('the same bytes as the collector that held every record in memory (commit 17cfea0)', async (t) => {
  const dir = t.testdir({});
  writeEnsemble(dir, taskRows(500), records(500), 8);
  const r = await collect(new EnsembleLayout(dir), PARAMS);
  const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16);
  // that collector's CSV (sha256 prefix 02cef4993abc3818), byte for byte, once the columns added since are dropped:
  // point and replicate (null here: no plan) after batch, runs after attempt (no value here holds a comma)
  const added = new Set(['point', 'replicate', 'runs']);
  const lines = readFileSync(r.files.csv!, 'utf8').split('\n');
  const keep = lines[0].split(',').map((name) => !added.has(name));
  t.equal(keep.filter((k) => !k).length, added.size, 'the added columns are there');
  const before = lines.map((l) => (l === '' ? l : l.split(',').filter((_, i) => keep[i]).join(','))).join('\n');
  t.equal(createHash('sha256').update(before).digest('hex').slice(0, 16), '02cef4993abc3818');
  // and the files as they are now, so that any other change of bytes is seen
  t.equal(sha(r.files.parquet), '2e9a4382f5f97c7d');
  t.equal(sha(r.files.csv!), 'da770561f5bfa54b');
});

t.test('more tasks than a row group, retries in other files: one row per task, read back by DuckDB', async (t) => {
  // just over one Parquet row group (131,072 rows); 8 record files of ~7 MB, so lines straddle the reader's 4 MiB chunks
  const n = 131_072 + 1_000;
  const dir = t.testdir({});
  const tasks = taskRows(n);
  const recs = tasks.map((x) => (x.id % 1000 === 7 ? failedRecord(x.id, 'exit code 1') : doneRecord(x.id)));
  for (let id = 7; id < n; id += 1000) recs.push(doneRecord(id, 2));
  writeEnsemble(dir, tasks, recs, 8);
  const r = await collect(new EnsembleLayout(dir), PARAMS);
  t.match(r, { rows: n, done: n, failed: 0, badLines: 0 });
  const path = r.files.parquet.replaceAll("'", "''");
  const [counts] = await duckQuery(`SELECT count(*)::INT AS n, count(DISTINCT task_id)::INT AS ids, min(task_id) AS lo, max(task_id) AS hi,
    count(*) FILTER (attempt = 2)::INT AS retried FROM read_parquet('${path}')`);
  t.same(counts, { n, ids: n, lo: 0, hi: n - 1, retried: Math.ceil((n - 7) / 1000) });
  const groups = await duckQuery(`SELECT row_group_id::INT AS g, row_group_num_rows::INT AS rows FROM parquet_metadata('${path}') WHERE column_id = 0 ORDER BY g`);
  t.same(groups, [{ g: 0, rows: 131_072 }, { g: 1, rows: 1_000 }]);
  // the CSV holds the same rows: every value of a result column equal, matched by task id
  const [csv] = await duckQuery(`SELECT count(*)::INT AS n, count(*) FILTER (c.r0 IS DISTINCT FROM p.r0 OR c.attempt IS DISTINCT FROM p.attempt)::INT AS differ
    FROM read_csv('${r.files.csv!.replaceAll("'", "''")}') c JOIN read_parquet('${path}') p USING (task_id)`);
  t.same(csv, { n, differ: 0 });
});
