// Parses a JSON result (an object, nested objects flattened): the common case, without the CSV parser, so the
// task wrapper loads csv-parse only for a `format: csv` result.
import type { ResultSpec } from '../config/types.js';

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

/** A JSON result file's text as one flat row, or the reason it is not one. */
export function parseJsonResult(text: string, spec: Pick<ResultSpec, 'file'>): ParsedResult {
  const file = spec.file;
  let value: unknown;
  try {
    // a BOM (Windows tools, PowerShell's Out-File) is no part of the JSON
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
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
