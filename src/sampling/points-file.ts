// Points files for method `list` (CSV on csv-parse, JSON), errors at file:line; the JSON error locator is ours: V8's JSON.parse gives no position for some errors.
import { readFile } from 'node:fs/promises';
import type { ParamSpec, Point } from '../config/types.js';
import { DataError } from '../errors.js';
import { parseCsvRecords } from '../util/csv.js';
import { validatePoints } from './list.js';
import type { Value } from './map.js';

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A CSV cell's value: a finite decimal number → number, true/false → boolean, else the text. */
export function parseCell(text: string): Value {
  if (NUMBER.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return n;
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

/** Parsed points plus the line each one starts on (for messages of later checks). */
export interface ParsedPoints {
  points: Point[];
  lines: number[];
}

/** Parses CSV text with a header row into points. `file` only names the source in errors. */
export function parseCsvPoints(text: string, file: string): ParsedPoints {
  // trim: csv-parse drops blanks around a delimiter and outside quotes only (people write "a, b"; " x " stays).
  const rows = parseCsvRecords(text, file, { trim: true });
  if (rows.length === 0) throw new DataError(`${file}:1: empty file; expected a header row of parameter names`);
  const header = rows[0];
  const seen = new Set<string>();
  header.cells.forEach((name, k) => {
    if (name === '') throw new DataError(`${file}:${header.line}: column ${k + 1} of the header has no name`);
    if (seen.has(name)) throw new DataError(`${file}:${header.line}: column "${name}" appears twice in the header`);
    seen.add(name);
  });
  const points: Point[] = [];
  const lines: number[] = [];
  for (const row of rows.slice(1)) {
    if (row.cells.length !== header.cells.length) {
      throw new DataError(
        `${file}:${row.line}: ${row.cells.length} fields, but the header has ${header.cells.length}`,
      );
    }
    // fromEntries defines keys: an assignment to a column named __proto__ would drop it unseen
    points.push(Object.fromEntries(header.cells.map((name, k) => [name, parseCell(row.cells[k])])));
    lines.push(row.line);
  }
  return { points, lines };
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let k = 0; k < offset && k < text.length; k++) if (text.charCodeAt(k) === 10) line++;
  return line;
}

/** Offsets where each element of the top-level JSON array starts (text already known to be valid JSON). */
function elementOffsets(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  let expect = false;
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '"') {
      if (expect) out.push(k);
      expect = false;
      for (k++; k < text.length && text[k] !== '"'; k++) if (text[k] === '\\') k++;
      continue;
    }
    if (c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\ufeff') continue;
    if (expect) {
      out.push(k);
      expect = false;
    }
    if (c === '[' || c === '{') {
      depth++;
      if (depth === 1 && c === '[') expect = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expect = true;
  }
  return out;
}

const JSON_SCALAR = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/**
 * Offset of the first JSON syntax error, or -1. Only run after JSON.parse failed: V8's messages
 * carry a position for some errors and not for others, and a points file error must name its line.
 * A loop with a stack of open brackets, not recursion: a file of 20,000 `[` must not overflow the stack.
 */
function jsonErrorOffset(text: string): number {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): boolean => {
    for (i++; i < text.length; i++) {
      if (text[i] === '"') {
        i++;
        return true;
      }
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) return false;
    }
    return false;
  };
  const key = (): boolean => {
    ws();
    if (text[i] !== '"' || !str()) return false;
    ws();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  const closers: string[] = [];
  for (;;) {
    ws();
    const open = text[i];
    if (open === '{' || open === '[') {
      const close = open === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] !== close) {
        closers.push(close);
        if (close === '}' && !key()) return i;
        continue;
      }
      i++;
    } else if (open === '"') {
      if (!str()) return i;
    } else {
      JSON_SCALAR.lastIndex = i;
      const m = JSON_SCALAR.exec(text);
      if (!m) return i;
      i += m[0].length;
    }
    // a value ended: close what it ends, then a comma starts the next value (after its key in an object)
    for (;;) {
      ws();
      const close = closers[closers.length - 1];
      if (close === undefined) return i < text.length ? i : -1;
      if (text[i] === close) {
        i++;
        closers.pop();
      } else if (text[i] === ',') {
        i++;
        if (close === '}' && !key()) return i;
        break;
      } else return i;
    }
  }
}

/** Parses a JSON array of objects of scalar values. `file` only names the source in errors. */
export function parseJsonPoints(text: string, file: string): ParsedPoints {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    const off = jsonErrorOffset(text);
    const at = off >= 0 ? `:${lineAt(text, off)}` : '';
    throw new DataError(`${file}${at}: invalid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(data)) throw new DataError(`${file}:1: expected a JSON array of objects, one per point`);
  const offsets = elementOffsets(text);
  const lines = data.map((_, i) => lineAt(text, offsets[i] ?? 0));
  const points: Point[] = data.map((el: unknown, i) => {
    const at = `${file}:${lines[i]}`;
    if (el === null || typeof el !== 'object' || Array.isArray(el)) {
      throw new DataError(`${at}: point ${i} is not an object of parameter values`);
    }
    for (const [k, v] of Object.entries(el)) {
      if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) {
        throw new DataError(`${at}: point ${i}, "${k}": expected a number, string or boolean, got ${JSON.stringify(v)}`);
      }
    }
    return { ...(el as Point) };
  });
  return { points, lines };
}

/** Parses a points file by its extension (.json, else CSV). Pure; `file` names the source in errors. */
export function parsePointsFile(text: string, file: string): ParsedPoints {
  return /\.json$/i.test(file) ? parseJsonPoints(text, file) : parseCsvPoints(text, file);
}

/**
 * Reads a CSV (header row) or JSON (array of objects) points file for method `list`, its points checked against
 * `parameters` and put in parameter order. Errors name file:line and the column (an empty CSV cell is the empty
 * string: a point of a string level "", an error for a number).
 */
export async function readPointsFile(path: string, parameters: Record<string, ParamSpec>): Promise<Point[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read points file ${path}: ${(e as Error).message}`, { cause: e });
  }
  const { points, lines } = parsePointsFile(text, path);
  return validatePoints(parameters, points, (i) => `${path}:${lines[i]}`);
}
