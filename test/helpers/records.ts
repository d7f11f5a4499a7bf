// A task record as the wrapper writes it, for tests of the record readers and the live dataset.
import type { TaskRecord } from '../../src/records/record.js';

/** A done record of `task` ending now (so a test can measure the lag to its row), overridable field by field. */
export function taskRecord(task: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  const now = new Date().toISOString();
  return {
    task,
    attempt: 1,
    status: 'done',
    reason: null,
    exit_code: 0,
    signal: null,
    host: 'n1',
    job_id: null,
    start: now,
    end: now,
    duration_s: 0,
    result: { y: task * 2, label: `t${task}` },
    source: 'wrapper',
    ...extra,
  };
}

/** The record's line in a record file. */
export const recordLine = (r: TaskRecord): string => JSON.stringify(r) + '\n';
