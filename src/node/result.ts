// Parses the result file a simulation wrote: a JSON object (nested objects flattened, result-json.ts) or a one-row CSV.
import type { ResultSpec } from '../config/types.js';
import { parseCsv } from '../util/csv.js';
import { type ParsedResult, type ResultValue, parseJsonResult } from './result-json.js';

export type { ParsedResult, ResultValue } from './result-json.js';

/** How a field Number() reads must start to be a number: blanks, a sign, then a digit or a point and a digit (not " ", "."). */
const NUMBER_START = /^[\s]*[-+]?(\d|\.\d)/;

/** Converts a CSV field: numbers and booleans become typed, the rest stays text. */
export function csvValue(field: string): ResultValue {
  if (field === '') return null;
  if (field === 'true' || field === 'false') return field === 'true';
  const n = Number(field);
  if (!Number.isFinite(n)) return field;
  // a digit first, or a minus and a digit, is NUMBER_START's common case, without running it (once per field of 10^5 files)
  const c = field.charCodeAt(0) === 45 ? field.charCodeAt(1) : field.charCodeAt(0);
  return (c >= 48 && c <= 57) || NUMBER_START.test(field) ? n : field;
}

export function parseResult(text: string, spec: Pick<ResultSpec, 'file' | 'format'>): ParsedResult {
  const file = spec.file;
  if (spec.format === 'csv') {
    let rows: string[][];
    try {
      rows = parseCsv(text, file);
    } catch (e) {
      return { ok: false, reason: `bad result: ${(e as Error).message}` };
    }
    if (rows.length !== 2) {
      return { ok: false, reason: `bad result: ${file} must be a CSV with a header and exactly one row (it has ${Math.max(0, rows.length - 1)} data rows)` };
    }
    const [header, values] = rows;
    if (header.length !== values.length) {
      return { ok: false, reason: `bad result: ${file} has ${header.length} header fields but ${values.length} values` };
    }
    const twice = header.find((h, i) => header.indexOf(h) !== i);
    if (twice !== undefined) return { ok: false, reason: `bad result: ${file} has the column ${JSON.stringify(twice)} twice in its header; rename one` };
    // fromEntries defines keys: an assigned __proto__ column would vanish
    return { ok: true, result: Object.fromEntries(header.map((h, i) => [h, csvValue(values[i])])) };
  }
  return parseJsonResult(text, spec);
}
