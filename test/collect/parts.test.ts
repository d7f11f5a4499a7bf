// The live dataset's parts on disk: part names, which files are parts (for the clean-up on reopen), the checkpoint read back, intact parts.
import t from 'tap';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { type PartsCheckpoint, isPartFile, partFileNames, partName, partsIntact, readPartsCheckpoint, writePartsCheckpoint } from '../../src/collect/parts.js';

t.test('part names sort in commit order; isPartFile knows parts, their temp files and the checkpoint temp, nothing else', async (t) => {
  t.equal(partName(12), 'part-00000012');
  t.ok(partName(9) < partName(10), 'fixed width: file-name order is commit order');
  t.same(partFileNames(partName(3)), ['part-00000003.parquet', 'part-00000003.csv']);
  for (const n of ['part-00000003.parquet', 'part-00000003.csv', 'part-00000003.csv.tmp-1-abc', 'parts.json.tmp-7-xyz']) t.ok(isPartFile(n), n);
  for (const n of ['parts.json', 'follow.lock', 'part-3.parquet', 'part-00000003.json', 'notes.txt']) t.notOk(isPartFile(n), n);
});

t.test('the checkpoint reads back as written; a malformed one reads as none; a part cut short is not intact', async (t) => {
  const layout = new EnsembleLayout(t.testdir());
  mkdirSync(layout.datasetDir, { recursive: true });
  t.equal(await readPartsCheckpoint(layout), null, 'no checkpoint yet');
  const parquet = Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(8), Buffer.from('PAR1')]);
  writeFileSync(layout.datasetPart(partName(0), 'parquet'), parquet);
  writeFileSync(layout.datasetPart(partName(0), 'csv'), 'task_id\n0\n');
  const cp: PartsCheckpoint = { format: 1, plan_id: 'p1', parts: [{ name: partName(0), rows: 1, level: 0, bytes: { parquet: parquet.length, csv: 10 } }], offsets: { 'e0.ndjson': 42 }, next: 1 };
  await writePartsCheckpoint(layout, cp);
  t.same(await readPartsCheckpoint(layout), cp);
  t.ok(await partsIntact(layout, cp));
  truncateSync(layout.datasetPart(partName(0), 'parquet'), parquet.length - 1);
  t.notOk(await partsIntact(layout, cp), 'a size that differs from the committed one');
  writeFileSync(layout.datasetParts, JSON.stringify({ ...cp, parts: [{ name: 'other', rows: 1 }] }));
  t.equal(await readPartsCheckpoint(layout), null, 'a checkpoint of the wrong shape');
});
