// Parses the result file a simulation wrote: a JSON object (nested objects flattened) or a one-row CSV.
import type { ResultSpec } from '../config/types.js';
import { parseCsv } from '../util/csv.js';

export type ResultValue = string | number | boolean | null;
export type ParsedResult = { ok: true; result: Record<string, ResultValue> } | { ok: false; reason: string };

function flatten(obj: Record<string, unknown>, prefix: string, out: Record<string, ResultValue>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (Array.isArray(v)) out[key] = JSON.stringify(v);
    else if (typeof v === 'object') flatten(v as Record<string, unknown>, `${key}.`, out);
  }
}

/** Converts a CSV field: numbers and booleans become typed, the rest stays text. */
export function csvValue(field: string): ResultValue {
  if (field === '') return null;
  if (field === 'true' || field === 'false') return field === 'true';
  const n = Number(field);
  return Number.isFinite(n) && /^[\s]*[-+]?(\d|\.\d)/.test(field) ? n : field;
}

export function parseResult(text: string, spec: ResultSpec): ParsedResult {
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
    const result: Record<string, ResultValue> = {};
    header.forEach((h, i) => (result[h] = csvValue(values[i])));
    return { ok: true, result };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `bad result: ${file} is not valid JSON (${(e as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: `bad result: ${file} must hold a JSON object, not ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}` };
  }
  const result: Record<string, ResultValue> = {};
  flatten(value as Record<string, unknown>, '', result);
  return { ok: true, result };
}
