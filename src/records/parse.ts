// Parsing of record-file text (NDJSON appended by single writers) into TaskRecords: pure, tolerant of torn tails.
import type { TaskRecord } from './record.js';

/** What {@link parseRecordText} found in one chunk of record-file text. */
export interface ParsedRecords {
  records: TaskRecord[];
  /** Complete lines that are not a valid record (not JSON, or missing/invalid required fields). */
  bad: number;
  /** 1-based line numbers of the bad lines, for reports. */
  badLines: number[];
  /** UTF-8 bytes up to and including the last newline: where a follower resumes reading. */
  consumed: number;
}

const SOURCES = new Set(['wrapper', 'controller', 'scheduler']);

function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

/** true when `v` has the fields the collector relies on; everything else is tolerated as written. */
export function isTaskRecord(v: unknown): v is TaskRecord {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const r = v as Record<string, unknown>;
  if (!isCount(r.task, 0) || !isCount(r.attempt, 1)) return false;
  if (r.status !== 'done' && r.status !== 'failed' && r.status !== 'interrupted') return false;
  if (r.source !== undefined && !SOURCES.has(r.source as string)) return false;
  const res = r.result;
  if (res !== undefined && res !== null && (typeof res !== 'object' || Array.isArray(res))) return false;
  return true;
}

/**
 * Parses NDJSON record text. An unterminated last line is ignored (its writer may still be writing it,
 * or was killed mid-write) and is not counted in `consumed`; a malformed complete line is counted in
 * `bad` and skipped. Blank lines are skipped silently.
 */
export function parseRecordText(text: string): ParsedRecords {
  const last = text.lastIndexOf('\n');
  const records: TaskRecord[] = [];
  const badLines: number[] = [];
  if (last < 0) return { records, bad: 0, badLines, consumed: 0 };
  const complete = text.slice(0, last);
  const lines = complete.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      badLines.push(i + 1);
      continue;
    }
    if (isTaskRecord(value)) records.push(value);
    else badLines.push(i + 1);
  }
  // Measuring the short tail is cheaper than re-measuring the whole complete part.
  const consumed = Buffer.byteLength(text) - Buffer.byteLength(text.slice(last + 1));
  return { records, bad: badLines.length, badLines, consumed };
}
