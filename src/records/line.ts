// A task record as one line of its record file and back: JSON, with a result's NaN and ±Infinity (JSON has none; JSON.stringify would write null) as {"$numberDouble": "NaN"}, MongoDB extended JSON's form.
import type { TaskRecord } from './record.js';

const TAG = '$numberDouble';
/** The text every line with a tagged value holds: lines without it are read as JSON.parse reads them. */
const TAGGED = `{"${TAG}":`;
/** The values that are tagged, as {@link recordLine} spells them (String of the number). */
const NON_FINITE = [NaN, Infinity, -Infinity].map(String);

const reSource = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * A tagged value as {@link recordLine} writes it (JSON.stringify's form: no spaces), as regular-expression source:
 * records/scan-record.ts reads record lines in place with it.
 */
export const TAGGED_VALUE = `${reSource(TAGGED)}"(?:${NON_FINITE.map(reSource).join('|')})"\\}`;

/** The JSON text of `rec` as its record file line (no newline); a non-finite result value is tagged. */
export function recordLine(rec: TaskRecord): string {
  const res = rec.result;
  if (res === null || res === undefined || Object.values(res).every((v) => typeof v !== 'number' || Number.isFinite(v))) return JSON.stringify(rec);
  // fromEntries defines keys (an assigned __proto__ would vanish); the spread keeps the record's key order
  const tagged = Object.fromEntries(Object.entries(res).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? { [TAG]: String(v) } : v]));
  return JSON.stringify({ ...rec, result: tagged });
}

/** Turns the tagged values of a parsed result object back into NaN and ±Infinity, in place; returns it. */
export function untagResult<T>(res: T): T {
  if (res === null || typeof res !== 'object') return res;
  const r = res as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    const v = r[k];
    if (v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>)[TAG] === 'string') r[k] = Number((v as Record<string, string>)[TAG]);
  }
  return res;
}

/** JSON.parse of a record line (a record file's, a worker's stdout), with tagged result values untagged; throws as JSON.parse does. */
export function parseRecordLine(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (text.includes(TAGGED) && value !== null && typeof value === 'object') untagResult((value as { result?: unknown }).result);
  return value;
}
