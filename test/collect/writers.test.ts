// The dataset writers of a config's `dataset`: which formats, in which order, and every Parquet codec read back by DuckDB.
import { join } from 'node:path';
import t from 'tap';
import { buildDataset } from '../../src/collect/build-dataset.js';
import { writeDataset } from '../../src/collect/write-dataset.js';
import { datasetWriters } from '../../src/collect/writers.js';
import { DATASET_COMPRESSIONS } from '../../src/config/types.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { duckQuery } from '../helpers/ensemble.js';
import { doneRecord, taskRows } from './fixtures/ensemble.js';

t.test('the writers of a dataset spec: its formats in a fixed order, Parquet required', async (t) => {
  t.strictSame(datasetWriters().map((w) => w.format), ['parquet', 'csv'], 'default: Parquet and CSV, as before dataset existed');
  t.strictSame(datasetWriters({ formats: ['hdf5', 'csv', 'parquet'], compression: 'zstd' }).map((w) => w.format), ['parquet', 'csv', 'hdf5']);
  t.throws(() => datasetWriters({ formats: ['csv', 'hdf5'], compression: 'snappy' }), {
    name: 'UsageError',
    message: 'dataset formats csv,hdf5 leave out parquet, which arrayflow reads back (summary, report, adaptive rounds); add it, e.g. parquet,csv,hdf5',
  });
});

t.test('every dataset.compression writes a Parquet file DuckDB reads, with that codec in its metadata', async (t) => {
  const rows = taskRows(50);
  const table = buildDataset(rows, new Map(rows.map((r) => [r.id, doneRecord(r.id)])), ['alpha', 'beta', 'mode']);
  const codec = { snappy: 'SNAPPY', zstd: 'ZSTD', gzip: 'GZIP', brotli: 'BROTLI', lz4: 'LZ4_RAW', none: 'UNCOMPRESSED' };
  const dir = t.testdir(Object.fromEntries(DATASET_COMPRESSIONS.map((c) => [c, {}])));
  for (const compression of DATASET_COMPRESSIONS) {
    const layout = new EnsembleLayout(join(dir, compression));
    const { parquet } = await writeDataset(table, layout, datasetWriters({ formats: ['parquet'], compression }));
    const p = `'${parquet}'`;
    const [meta] = await duckQuery(`SELECT string_agg(DISTINCT compression, ',') AS codecs FROM parquet_metadata(${p})`);
    const [sums] = await duckQuery(`SELECT count(*)::INT AS n, string_agg(label, '|' ORDER BY task_id) AS labels FROM read_parquet(${p})`);
    t.strictSame(meta, { codecs: codec[compression] }, `${compression}: ${codec[compression]}`);
    t.strictSame(sums, { n: 50, labels: rows.map((r) => `run-${r.id}`).join('|') }, `${compression}: every row`);
  }
});
