// A task whose record the filesystem refused: the short failure record and the controller's error read back from it.
import t from 'tap';
import { StorageError } from '../../src/errors.js';
import { storageErrorOf, storageRecord } from '../../src/records/storage.js';
import { taskRecord } from '../helpers/records.js';

t.test('storageRecord: failed, the sentence as reason, no result, stderr tail or scratch; storageErrorOf reads it back', async (t) => {
  const e = new StorageError('/e/results/e0-a1.ndjson', 'EROFS');
  const rec = storageRecord({ ...taskRecord(7), stderr_tail: 'x'.repeat(5000), scratch: '/tmp/s' }, e);
  t.match(rec, { task: 7, attempt: 1, status: 'failed', reason: 'storage: cannot write /e/results/e0-a1.ndjson: read-only file system (EROFS)', result: null });
  t.notOk('stderr_tail' in rec || 'scratch' in rec);
  t.match(storageErrorOf(rec), { name: 'StorageError', path: '/e/results/e0-a1.ndjson', errno: 'EROFS', message: e.message });
  t.equal(storageErrorOf(taskRecord(1)), null, 'a done record');
  t.equal(storageErrorOf({ ...taskRecord(1), status: 'failed', reason: 'exit code 3' }), null, 'another failure');
});
