// Parsing of record-file text (NDJSON appended by single writers) into TaskRecords: pure, tolerant of torn tails.
import { parseRecordLine } from './line.js';
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

/** Distinct host and scratch texts kept for {@link shareStrings}; past this many, new ones are left as parsed. */
const SHARED_MAX = 4096;
const shared = new Map<string, string>();

/** The one kept copy of a text equal to `v` (the first seen), so that equal texts of many records are one string. */
function share(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const kept = shared.get(v);
  if (kept !== undefined) return kept;
  if (shared.size < SHARED_MAX) shared.set(v, v);
  return v;
}

/**
 * JSON.parse gives every record its own copy of `"done"`, `"wrapper"`, its host and scratch root: ≈ 100 bytes a record
 * that a controller holding 10^5 final records keeps for nothing. The status and source become the literals, the host
 * and scratch the first copy seen.
 */
function shareStrings(r: TaskRecord): void {
  r.status = r.status === 'done' ? 'done' : r.status === 'failed' ? 'failed' : 'interrupted';
  if (r.source !== undefined) r.source = r.source === 'wrapper' ? 'wrapper' : r.source === 'scheduler' ? 'scheduler' : 'controller';
  r.host = share(r.host) as string;
  if (r.scratch !== undefined) r.scratch = share(r.scratch) as string;
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
      value = parseRecordLine(line);
    } catch {
      badLines.push(i + 1);
      continue;
    }
    if (isTaskRecord(value)) {
      shareStrings(value);
      records.push(value);
    } else badLines.push(i + 1);
  }
  // Measuring the short tail is cheaper than re-measuring the whole complete part.
  const consumed = Buffer.byteLength(text) - Buffer.byteLength(text.slice(last + 1));
  return { records, bad: badLines.length, badLines, consumed };
}
