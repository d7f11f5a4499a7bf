// A task whose record could not be written (full, over-quota or read-only filesystem): its failure reason, and the controller's error from it.
import { StorageError } from '../errors.js';
import type { TaskRecord } from './record.js';
import { STORAGE_FAILED, reasonKind } from './owed.js';

/** The reason of such a task: `storage: cannot write <path>: no space left on device (ENOSPC)`. */
export function storageReason(e: StorageError): string {
  return `${STORAGE_FAILED}: ${e.message}`;
}

/**
 * `rec` as the short failure record of a task whose record the filesystem refused: no result, no stderr tail, so
 * that it may still fit where the whole record did not.
 */
export function storageRecord(rec: TaskRecord, e: StorageError): TaskRecord {
  const { stderr_tail: _t, scratch: _s, ...rest } = rec;
  return { ...rest, status: 'failed', reason: storageReason(e), result: null };
}

/** The StorageError a record with a storage reason reports (for the controller to stop with), or null. */
export function storageErrorOf(rec: TaskRecord): StorageError | null {
  if (reasonKind(rec.reason) !== STORAGE_FAILED) return null;
  const m = /^storage: cannot write (.+): [^:]+ \((E[A-Z]+)\)$/.exec(rec.reason ?? '');
  return m ? new StorageError(m[1], m[2]) : null;
}
