import t from 'tap';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Schema, Table, tableFromArrays } from '../../src/collect/arrow.js';
import { buildDataset } from '../../src/collect/build-dataset.js';
import { writeDataset, writeDatasetStream } from '../../src/collect/write-dataset.js';
import { encodeParquet, readDatasetParquet } from '../../src/collect/parquet.js';
import type { TaskRecord } from '../../src/records/record.js';
import { doneRecord, failedRecord, taskRows } from './fixtures/ensemble.js';

const PARAMS = ['alpha', 'beta', 'mode'];

/** DuckDB and Arrow JS values in one comparable shape: bigint -> number, Date -> epoch ms. */
function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  return v;
}

async function query(sql: string): Promise<{ names: string[]; types: string[]; rows: Record<string, unknown>[] }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(sql);
    const rows = r.getRowObjectsJS().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, norm(v)])));
    return { names: r.columnNames(), types: r.columnTypes().map(String), rows };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function arrowRows(table: Table): Record<string, unknown>[] {
  const names = table.schema.fields.map((f) => f.name);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    out.push(Object.fromEntries(names.map((n) => [n, norm(table.getChild(n)!.get(i))])));
  }
  return out;
}

function fixture(n: number): { table: Table; finals: Map<number, TaskRecord> } {
  const tasks = taskRows(n);
  const finals = new Map<number, TaskRecord>();
  for (const task of tasks) {
    const i = task.id;
    if (i % 10 === 3) continue; // no final record yet
    if (i % 10 === 7) finals.set(i, failedRecord(i, i % 20 === 7 ? 'exit code 3, "quoted"' : 'timeout: limit\nreached', { signal: 'SIGKILL', exit_code: null }));
    else {
      const r = doneRecord(i);
      finals.set(i, { ...r, result: { ...r.result, note: i % 3 ? `plain ${i}` : `comma, "quote" ${i}`, ok: i % 2 === 0 } });
    }
  }
  return { table: buildDataset(tasks, finals, PARAMS), finals };
}

t.test('the Parquet file reads back in DuckDB with the same names, types and values', async (t) => {
  const { table, finals } = fixture(200);
  const dir = t.testdir({});
  const out = await writeDataset(table, new EnsembleLayout(dir));
  t.same(out, { parquet: join(dir, 'dataset.parquet'), csv: join(dir, 'dataset.csv') });
  const q = await query(`select * from read_parquet('${out.parquet}')`);
  t.equal(q.rows.length, table.numRows);
  t.equal(q.rows.length, finals.size);
  t.same(q.names, table.schema.fields.map((f) => f.name));
  t.same(Object.fromEntries(q.names.map((n, i) => [n, q.types[i]])), {
    task_id: 'INTEGER',
    batch: 'INTEGER',
    point: 'INTEGER',
    replicate: 'INTEGER',
    alpha: 'DOUBLE',
    beta: 'BIGINT',
    mode: 'VARCHAR',
    r0: 'DOUBLE',
    r1: 'DOUBLE',
    r2: 'DOUBLE',
    r3: 'DOUBLE',
    r4: 'DOUBLE',
    r5: 'DOUBLE',
    r6: 'DOUBLE',
    r7: 'DOUBLE',
    label: 'VARCHAR',
    note: 'VARCHAR',
    ok: 'BOOLEAN',
    status: 'VARCHAR',
    reason: 'VARCHAR',
    exit_code: 'INTEGER',
    signal: 'VARCHAR',
    attempt: 'INTEGER',
    runs: 'INTEGER',
    host: 'VARCHAR',
    job_id: 'VARCHAR',
    start_time: 'TIMESTAMP WITH TIME ZONE',
    end_time: 'TIMESTAMP WITH TIME ZONE',
    duration_s: 'DOUBLE',
    task_seed: 'BIGINT',
  });
  t.same(q.rows, arrowRows(table));
  // And straight against the records, for a done and a failed row.
  for (const row of q.rows) {
    const rec = finals.get(row.task_id as number)!;
    t.equal(row.status, rec.status);
    t.equal(row.start_time, Date.parse(rec.start));
    t.equal(row.host, rec.host);
    if (rec.status === 'done') {
      for (const [k, v] of Object.entries(rec.result!)) if (row[k] !== v) t.fail(`task ${rec.task} ${k}: ${row[k]} != ${v}`);
      t.equal(row.reason, null);
    } else {
      t.equal(row.reason, rec.reason);
      t.equal(row.r0, null);
    }
  }
});

t.test('the CSV read by DuckDB read_csv_auto gives the same values', async (t) => {
  const { table } = fixture(200);
  const dir = t.testdir({});
  const { csv } = await writeDataset(table, new EnsembleLayout(dir));
  const q = await query(`select * from read_csv_auto('${csv}')`);
  t.same(q.names, table.schema.fields.map((f) => f.name));
  t.same(q.rows, arrowRows(table));
  const start = q.types[q.names.indexOf('start_time')];
  t.match(start, /^TIMESTAMP/, 'ISO-8601 timestamps are detected as timestamps');
});

t.test('an empty string stays distinct from null in the CSV', async (t) => {
  const tasks = taskRows(2);
  const finals = new Map<number, TaskRecord>([
    [0, { ...doneRecord(0), result: { s: '' } }],
    [1, { ...doneRecord(1), result: { s: null } }],
  ]);
  const dir = t.testdir({});
  const { csv } = await writeDataset(buildDataset(tasks, finals, []), new EnsembleLayout(dir));
  const q = await query(`select s from read_csv('${csv}', allow_quoted_nulls = false, types = {'s': 'VARCHAR'})`);
  t.same(q.rows.map((r) => r.s), ['', null]);
});

t.test('readDatasetParquet round-trips through parquet-wasm, as tables of arrayflow\'s one copy of Arrow', async (t) => {
  const { table } = fixture(1000);
  const dir = t.testdir({});
  const { parquet } = await writeDataset(table, new EnsembleLayout(dir));
  const back = await readDatasetParquet(parquet);
  t.ok(back instanceof Table, 'a Table of src/collect/arrow.ts: it mixes with the tables arrayflow builds');
  t.equal(back.numRows, table.numRows);
  t.same(back.schema.fields.map((f) => `${f.name}:${f.type}`), table.schema.fields.map((f) => `${f.name}:${f.type}`));
  t.same(arrowRows(back), arrowRows(table));
  // The data is JS-owned: it survives further wasm allocations (another read) unchanged.
  const again = await readDatasetParquet(parquet);
  t.same(arrowRows(back).slice(0, 5), arrowRows(again).slice(0, 5));
});

t.test('readDatasetParquet of a file of several row groups: every row in order, in batches of one schema with its metadata', async (t) => {
  const n = 140_000; // row groups are 131,072 rows (ROW_GROUP_ROWS)
  const x = Float64Array.from({ length: n }, (_, i) => i / 7);
  const s = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `v${i % 1000}`));
  const built = tableFromArrays({ task_id: Int32Array.from({ length: n }, (_, i) => i), x, s });
  const table = new Table(new Schema(built.schema.fields, new Map([['arrayflow.test', 'kept']])), built.batches);
  const dir = t.testdir({});
  writeFileSync(join(dir, 'd.parquet'), encodeParquet(table));
  const back = await readDatasetParquet(join(dir, 'd.parquet'));
  t.same(back.batches.map((b) => b.numRows), [32768, 32768, 32768, 32768, n - 131_072], 'batches of 32k rows, cut at the row group');
  t.equal(back.numRows, n);
  t.equal(back.schema.metadata.get('arrayflow.test'), 'kept', 'the file\'s key-value metadata');
  t.same(Array.from(back.getChild('task_id')!.toArray() as Int32Array), Array.from(table.getChild('task_id')!.toArray() as Int32Array));
  t.same(back.getChild('x')!.toArray(), x);
  const got = back.getChild('s')!;
  t.same([0, 1, 999, 131_071 % n, n - 1].map((i) => got.get(i)), [0, 1, 999, 131_071 % n, n - 1].map((i) => s[i]));
  t.equal(got.nullCount, n / 5);
});

t.test('readDatasetParquet on a file that is not Parquet fails with DataError', async (t) => {
  const dir = t.testdir({ 'x.parquet': 'not parquet' });
  await t.rejects(readDatasetParquet(join(dir, 'x.parquet')), { name: 'DataError', code: 'E_DATA' });
});

t.test('an empty table writes and reads back', async (t) => {
  const table = buildDataset(taskRows(3), new Map(), PARAMS);
  const dir = t.testdir({});
  const { parquet, csv } = await writeDataset(table, new EnsembleLayout(dir));
  t.equal(parquet, join(dir, 'dataset.parquet'));
  t.equal((await readDatasetParquet(parquet)).numRows, 0);
  t.equal(readFileSync(csv!, 'utf8').split('\r\n').length, 2, 'header only');
  const q = await query(`select count(*) as n from read_parquet('${parquet}')`);
  t.same(q.rows, [{ n: 0 }]);
});

t.test('writes are atomic: they replace old files and leave no temp files behind', async (t) => {
  const dir = t.testdir({ 'dataset.parquet': 'old', 'dataset.csv': 'old' });
  const { table } = fixture(50);
  await writeDataset(table, new EnsembleLayout(dir));
  t.same(readdirSync(dir).sort(), ['dataset.csv', 'dataset.parquet']);
  t.ok(statSync(join(dir, 'dataset.parquet')).size > 100);
  t.match(readFileSync(join(dir, 'dataset.csv'), 'utf8'), /^task_id,batch,point,replicate,alpha/);
  await t.rejects(writeDataset(table, new EnsembleLayout(join(dir, 'missing', 'dir'))), { code: 'ENOENT' });
  t.same(readdirSync(dir).sort(), ['dataset.csv', 'dataset.parquet']);
  // A failing rename (the CSV name is taken by a directory) leaves no temp file behind either.
  const blocked = t.testdir({ 'dataset.csv': { 'x': 'keep' } });
  await t.rejects(writeDataset(table, new EnsembleLayout(blocked)));
  t.same(readdirSync(blocked).sort(), ['dataset.csv', 'dataset.parquet']);
});

t.test('a Parquet file of one table (one encodeParquet) holds the bytes of the same rows streamed as several tables', async (t) => {
  const { table } = fixture(300);
  const whole = t.testdir({});
  const parts = t.testdir({});
  await writeDatasetStream([table], new EnsembleLayout(whole));
  await writeDatasetStream([table.slice(0, 100), table.slice(100, 101), table.slice(101)], new EnsembleLayout(parts));
  const bytes = readFileSync(join(whole, 'dataset.parquet'));
  t.ok(bytes.equals(readFileSync(join(parts, 'dataset.parquet'))), 'the same bytes');
  t.ok(bytes.equals(encodeParquet(table)), 'as encodeParquet gives them');
  t.equal(readFileSync(join(whole, 'dataset.csv'), 'utf8'), readFileSync(join(parts, 'dataset.csv'), 'utf8'));
});
