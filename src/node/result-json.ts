// Parses a JSON result (an object, nested objects flattened): the common case, without the CSV parser, so the
// task wrapper loads csv-parse only for a `format: csv` result.
import type { ResultSpec } from '../config/types.js';
import { JsonOverflowError, parseJsonNonFinite, stringifyJsonNonFinite } from '../util/json-nonfinite.js';

export type ResultValue = string | number | boolean | null;
export type ParsedResult = { ok: true; result: Record<string, ResultValue> } | { ok: false; reason: string };

/**
 * The object's leaves as one row: nested objects become dotted keys, arrays JSON text. A loop with a stack, not
 * recursion: a result nested 20,000 deep must not overflow it. Keys are defined, not assigned (an assigned
 * `__proto__` would vanish), and a value that cannot be kept as it is makes the result bad rather than lost.
 * `nonFinite`: the text wrote NaN, Infinity or -Infinity, which are kept (in a list's text too); otherwise a
 * non-finite number is a literal beyond the range of a double, which JSON.parse made ±Infinity.
 */
function flatten(root: Record<string, unknown>, file: string, nonFinite: boolean): ParsedResult {
  const row: Array<[string, ResultValue]> = [];
  const seen = new Set<string>();
  const stack = [{ prefix: '', entries: Object.entries(root), next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.next === top.entries.length) {
      stack.pop();
      continue;
    }
    const [k, v] = top.entries[top.next++];
    const key = top.prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      stack.push({ prefix: `${key}.`, entries: Object.entries(v), next: 0 });
      continue;
    }
    if (seen.has(key)) return { ok: false, reason: `bad result: ${file} has two values for the column ${JSON.stringify(key)} (a dotted key and a nested object); rename one` };
    seen.add(key);
    if (typeof v === 'number' && !Number.isFinite(v) && !nonFinite) {
      return { ok: false, reason: `bad result: ${file}: ${JSON.stringify(key)} is a number beyond the range of a double (about ±1.8e308); write it as a string or rescale it` };
    }
    if (!Array.isArray(v)) {
      row.push([key, v as ResultValue]);
      continue;
    }
    // in plain JSON a non-finite number in a list is a literal beyond the range of a double: JSON.stringify would write null
    if (!nonFinite && !finiteList(v)) {
      return { ok: false, reason: `bad result: ${file}: the list ${JSON.stringify(key)} holds a number beyond the range of a double (about ±1.8e308); write it as a string or rescale it` };
    }
    try {
      row.push([key, nonFinite ? stringifyJsonNonFinite(v) : JSON.stringify(v)]);
    } catch {
      return { ok: false, reason: `bad result: ${file}: the list ${JSON.stringify(key)} is nested too deeply to be written back as JSON` };
    }
  }
  return { ok: true, result: Object.fromEntries(row) };
}

/** Whether every number in the list `v` (nested lists and objects included) is finite; a loop with a stack, as deep lists read. */
function finiteList(v: unknown[]): boolean {
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) return false;
    } else if (Array.isArray(x)) {
      for (const y of x) stack.push(y);
    } else if (x !== null && typeof x === 'object') {
      for (const y of Object.values(x)) stack.push(y);
    }
  }
  return true;
}

/** A JSON result file's text as one flat row, or the reason it is not one. NaN, Infinity and -Infinity (Python's json.dump writes them) are those numbers. */
export function parseJsonResult(text: string, spec: Pick<ResultSpec, 'file'>): ParsedResult {
  const file = spec.file;
  let value: unknown;
  let nonFinite: boolean;
  try {
    // a BOM (Windows tools, PowerShell's Out-File) is no part of the JSON
    ({ value, nonFinite } = parseJsonNonFinite(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
  } catch (e) {
    if (e instanceof JsonOverflowError) return { ok: false, reason: `bad result: ${file}: ${e.message}; write it as a string or rescale it` };
    return { ok: false, reason: `bad result: ${file} is not valid JSON (${(e as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: `bad result: ${file} must hold a JSON object, not ${Array.isArray(value) ? 'an array' : stringifyJsonNonFinite(value)}` };
  }
  return flatten(value as Record<string, unknown>, file, nonFinite);
}
