// dataset.h5 (src/collect/hdf5.ts) read back by an independent reader, Debian's h5py: the same rows and values as dataset.parquet read by DuckDB.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Field, Float64, makeData, makeVector, RecordBatch, Schema, Struct, Table } from '../../src/collect/arrow.js';
import t from 'tap';
import { collect } from '../../src/collect/collect.js';
import { linkName } from '../../src/collect/hdf5.js';
import { float64Data, int64Data, timestampData, utf8Data } from '../../src/collect/columns.js';
import { writeDatasetStream } from '../../src/collect/write-dataset.js';
import { datasetWriters } from '../../src/collect/writers.js';
import type { DatasetSpec } from '../../src/config/types.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import type { TaskRecord } from '../../src/records/record.js';
import { toolVersion } from '../../src/util/paths.js';
import { duckQuery } from '../helpers/ensemble.js';
import { h5pyDump, requireH5py } from '../helpers/h5py.js';
import { doneRecord, failedRecord, taskRows, writeEnsemble } from './fixtures/ensemble.js';

const PARAMS = ['alpha', 'beta', 'mode'];
const ALL: DatasetSpec = { formats: ['parquet', 'csv', 'hdf5'], compression: 'zstd' };

/** Records with every column type the collector builds, and nulls in each: bools, odd strings, missing keys, no job id, signals. */
function records(n: number): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9) continue; // no final record: no row
    if (i % 10 === 3) out.push(failedRecord(i, 'timeout: limit', { exit_code: null, signal: 'SIGKILL' }));
    else if (i % 10 === 5) out.push(failedRecord(i, 'exit code 3'));
    else {
      const r = doneRecord(i, 1 + (i % 2));
      const result: Record<string, unknown> = { ...r.result, ok: i % 3 === 0, note: `é "q",\n${i}` };
      if (i % 4 === 0) delete result.r0; // a float column with nulls among done rows
      out.push({ ...r, result: result as TaskRecord['result'], job_id: i % 7 === 0 ? null : r.job_id });
    }
  }
  return out;
}

/** DuckDB's rows of a Parquet file by column, timestamps as epoch milliseconds, int64 as numbers; and each column's type. */
async function parquetColumns(path: string): Promise<{ types: Record<string, string>; data: Record<string, unknown[]> }> {
  const p = `'${path.replaceAll("'", "''")}'`;
  const described = await duckQuery(`DESCRIBE SELECT * FROM read_parquet(${p})`);
  const types = Object.fromEntries(described.map((d) => [d.column_name as string, d.column_type as string]));
  const cols = Object.entries(types).map(([c, ty]) => (ty.startsWith('TIMESTAMP') ? `epoch_ms("${c}") AS "${c}"` : `"${c}"`));
  const rows = await duckQuery(`SELECT ${cols.join(', ')} FROM read_parquet(${p}) ORDER BY task_id`);
  const data: Record<string, unknown[]> = {};
  for (const c of Object.keys(types)) data[c] = rows.map((r) => (typeof r[c] === 'bigint' ? Number(r[c]) : r[c]));
  return { types, data };
}

// How each Parquet (DuckDB) type is stored in dataset.h5, as h5py reports it (docs/dataset.md)
const H5_TYPE: Record<string, string> = { INTEGER: 'int32', BIGINT: 'int64', DOUBLE: 'float64', BOOLEAN: 'int8', VARCHAR: 'utf-8', 'TIMESTAMP WITH TIME ZONE': 'int64' };

t.test("an ensemble's dataset in all three formats: h5py reads dataset.h5 with every row and value of dataset.parquet", async (t) => {
  if (!requireH5py(t)) return;
  const dir = t.testdir({});
  writeEnsemble(dir, taskRows(120), records(120), 3);
  const layout = new EnsembleLayout(dir);
  const r = await collect(layout, PARAMS, { dataset: ALL });
  t.same(r.files, { parquet: join(dir, 'dataset.parquet'), csv: join(dir, 'dataset.csv'), hdf5: join(dir, 'dataset.h5') });
  const [h5] = await h5pyDump(r.files.hdf5!);
  const pq = await parquetColumns(r.files.parquet);

  t.strictSame(h5.columns, Object.keys(pq.types), 'the same columns in the same order');
  t.equal(h5.rows, r.rows);
  t.equal(r.rows, 108);
  for (const c of h5.columns) {
    t.equal(h5.dtypes[c], H5_TYPE[pq.types[c]], `${c}: ${pq.types[c]} is stored as ${H5_TYPE[pq.types[c]]}`);
    // booleans are int8 0/1 in HDF5
    const values = pq.types[c] === 'BOOLEAN' ? h5.data[c].map((v) => (v === null ? null : v === 1)) : h5.data[c];
    t.strictSame(values, pq.data[c], `${c}: every value equal, nulls where Parquet has them`);
    t.equal(h5.compression[c], null, `${c}: zstd is not an HDF5 filter h5py has: uncompressed`);
  }
  for (const c of ['r0', 'ok', 'job_id', 'exit_code', 'signal', 'reason']) t.ok(h5.data[c].includes(null), `${c} has nulls`);
  t.match(h5.column_attrs.start_time, { unit: 'ms', timezone: 'UTC', arrow_type: 'Timestamp<MILLISECOND, UTC>' });
  t.match(h5.attrs, { arrayflow_version: toolVersion(), layout: /HDF5 layout 1/ });

  const bytes = readFileSync(r.files.hdf5!);
  await collect(layout, PARAMS, { dataset: ALL });
  t.ok(readFileSync(r.files.hdf5!).equals(bytes), 'collected again from the same records: byte-identical');
  const parquetOnly = await collect(layout, PARAMS, { dataset: { formats: ['parquet'], compression: 'snappy' } });
  t.same(parquetOnly.files, { parquet: join(dir, 'dataset.parquet') });
  t.notOk(existsSync(join(dir, 'dataset.h5')) || existsSync(join(dir, 'dataset.csv')), 'files of formats not asked for are removed: they held older rows');
});

t.test('dataset.h5 from several tables (one of them empty), gzip: one column each, appended in order', async (t) => {
  if (!requireH5py(t)) return;
  const dir = t.testdir({});
  const table = (x: Array<number | null>, s: Array<string | null>, n: Array<number | null>, ts: Array<string | null>) =>
    new Table({ x: makeVector(float64Data(x)), s: makeVector(utf8Data(s)), n: makeVector(int64Data(n)), ts: makeVector(timestampData(ts)) });
  const tables = [
    table([1.5, -0, 1e300], ['a', '', 'ü'], [2 ** 53 - 1, -(2 ** 53 - 1), 0], ['2025-01-01T00:00:00.001Z', '1969-12-31T23:59:59Z', '2025-06-01T12:00:00Z']),
    table([], [], [], []),
    table([null, 7], [null, 'z'], [null, 4], [null, '2030-01-01T00:00:00Z']),
  ];
  const files = await writeDatasetStream(tables, new EnsembleLayout(dir), datasetWriters({ formats: ['parquet', 'hdf5'], compression: 'gzip' }));
  const [h5] = await h5pyDump(files.hdf5!);
  t.equal(h5.rows, 5);
  t.strictSame(h5.data, {
    x: [1.5, -0, 1e300, null, 7],
    s: ['a', '', 'ü', null, 'z'],
    n: [2 ** 53 - 1, -(2 ** 53 - 1), 0, null, 4],
    ts: [1735689600001, -1000, 1748779200000, null, 1893456000000],
  });
  t.strictSame(h5.compression, { x: 'gzip', s: null, n: 'gzip', ts: 'gzip' }, 'numbers gzip-compressed; HDF5 compresses no variable-length strings');
});

t.test('column names HDF5 cannot hold as they are are percent-encoded; the name attribute keeps each', async (t) => {
  if (!requireH5py(t)) return;
  const dir = t.testdir({});
  const names = ['loss/train', '%', '', '.', 'plain'];
  const table = new Table(Object.fromEntries(names.map((n, i) => [n, makeVector(float64Data([i]))])));
  const files = await writeDatasetStream([table], new EnsembleLayout(dir), datasetWriters({ formats: ['parquet', 'hdf5'], compression: 'none' }));
  const [h5] = await h5pyDump(files.hdf5!);
  t.strictSame(h5.links, names.map(linkName));
  t.strictSame(h5.links, ['loss%2Ftrain', '%25', '%', '%2E', 'plain']);
  t.strictSame(h5.columns, names);
  t.strictSame(h5.data, { 'loss/train': [0], '%': [1], '': [2], '.': [3], plain: [4] });
});

t.test('a file HDF5 cannot write is a DataError naming it, and no file is left behind', async (t) => {
  const dir = t.testdir({});
  // two columns of one name (no collected dataset has them): HDF5 refuses the second link
  const fields = [new Field('x', new Float64(), true), new Field('x', new Float64(), true)];
  const data = makeData({ type: new Struct(fields), length: 1, children: [float64Data([1]), float64Data([2])] });
  const table = new Table(new RecordBatch(new Schema(fields), data));
  await t.rejects(writeDatasetStream([table], new EnsembleLayout(dir), datasetWriters({ formats: ['parquet', 'hdf5'], compression: 'snappy' })), {
    name: 'DataError',
    message: /^cannot write \S+\/dataset\.h5\.tmp-\S+ as HDF5: \S/,
  });
  t.strictSame(readdirSync(dir), [], 'neither dataset files nor temp files');
});
