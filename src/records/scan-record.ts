// The fields a record line is ranked by, read from its JSON text by regular expressions (hand-written: JSON.parse builds every value of every line, the first pass over 10^6 lines needs six); a line not in the form our writers write is left to JSON.parse.
import { parseIso } from '../util/iso-time.js';
import { JSON_NUMBER, JSON_STRING } from '../util/json-nonfinite.js';
import { TAGGED_VALUE, untagResult } from './line.js';
import type { TaskRecord, TaskStatus } from './record.js';
import type { ResultShapes, ValueClass } from './result-shape.js';
import { endMs } from './select-final.js';

/** What the final-record index keeps of one record (filled in place, one object for all lines). */
export interface RecordKeys {
  task: number;
  attempt: number;
  status: TaskStatus;
  source: TaskRecord['source'];
  /** Date.parse of `start` (NaN without one): runs are told apart by it (records/runs.ts). */
  start: number;
  /** `end` as ranked (select-final.ts endMs). */
  end: number;
  /** The ResultShapes id of the result (0: not done, or no result). */
  shape: number;
}

/** The keys of a parsed record: what {@link scanRecordLine} gives for its JSON text. */
export function keysOfRecord(r: TaskRecord, shapes: ResultShapes, out: RecordKeys): void {
  out.task = r.task;
  out.attempt = r.attempt;
  out.status = r.status;
  out.source = r.source;
  out.start = parseIso(r.start);
  out.end = endMs(r.end);
  out.shape = shapes.idOf(r);
}

// JSON (RFC 8259) without whitespace. The engine checks and splits a line with these at about a
// nanosecond a character, several times faster than JSON.parse builds it.
const KEY = String.raw`"[^"\\\x00-\x1f]*"`;
const SCALAR = `(?:${JSON_STRING}|${JSON_NUMBER}|true|false|null)`;
// a result's NaN or ±Infinity as records/line.ts tags it, among the scalars
const RESULT_VALUE = `(?:${SCALAR}|${TAGGED_VALUE})`;
const OBJECT = String.raw`\{(?:${KEY}:${RESULT_VALUE}(?:,${KEY}:${RESULT_VALUE})*)?\}`;
// A field the index does not look at: any key but those it does (a key twice is left to JSON.parse, which keeps the last).
const OTHER = `,(?!"(?:task|attempt|status|source|start|end|result)")${KEY}:${SCALAR}`;
const PLAIN = String.raw`"([^"\\\x00-\x1f]*)"`;
/**
 * A record as our writers write it (records/record.ts, in JSON.stringify's form): task, attempt and
 * status first, start and end side by side, the result (null or a flat object) after them, the
 * source, if any, after the result, other fields of scalars anywhere between. Groups: task, attempt,
 * status, start, end, result, source.
 */
const RECORD = new RegExp(
  String.raw`\{"task":(0|[1-9]\d{0,14}),"attempt":([1-9]\d{0,14}),"status":"(done|failed|interrupted)"(?:${OTHER})*,"start":${PLAIN},"end":${PLAIN}(?:${OTHER})*` +
    String.raw`,"result":(null|${OBJECT})(?:${OTHER})*(?:,"source":"(wrapper|controller|scheduler)")?(?:${OTHER})*\}`,
  'y',
);

/**
 * The value text of each class a result value of that class certainly has (ValueClass of the
 * number it parses to, not of its text): an integer of up to 15 digits is safe; a number of up to
 * 3 digits before the point, a digit other than 0 and one other than 9 among the first 12 after it
 * is 1e-12 or more from any integer, and one of up to 15 digits with a first digit after the point
 * of 1–8 is 0.1 or more from one: farther than a double that size can round; exponents of at least
 * 21 or from -7 to -99 are no safe integers either. Any other text of a value goes to JSON.parse.
 */
const CLASS_TEXT: Readonly<Record<ValueClass, string>> = {
  0: 'null',
  1: String.raw`-?(?:0|[1-9]\d{0,14})(?=[,}])`,
  2:
    String.raw`(?:-?(?:(?:0|[1-9]\d{0,2})\.(?=0{0,11}[1-9])(?=9{0,11}[0-8])\d+|(?:0|[1-9]\d{0,14})\.[1-8]\d*` +
    String.raw`|[1-9](?:\.\d+)?e(?:-(?:[7-9]|[1-9]\d)|\+(?:2[1-9]|[3-9]\d|\d{3})))(?=[,}])|${TAGGED_VALUE})`,
  3: '(?:true|false)',
  4: JSON_STRING,
};

/** The result objects (as RECORD checked them) of shape `entries`, or null when a key needs escaping in JSON. */
function shapePattern(entries: Array<[string, ValueClass]>): RegExp | null {
  if (entries.some(([k]) => /["\\\x00-\x1f]/.test(k))) return null;
  const members = entries.map(([k, c]) => `"${k.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')}":${CLASS_TEXT[c]}`);
  return new RegExp(String.raw`^\{${members.join(',')}\}$`);
}

// The shapes of the last collection and the text pattern of each, by id (built on first use); the
// last one matched is tried first: the results of one ensemble mostly share one shape.
let patternsOf: ResultShapes | null = null;
let patterns: Array<RegExp | null | undefined> = [];
let lastShape = 0;

/** The shape id of the result object text `text` (valid JSON, as RECORD checked it). */
function shapeOf(text: string, shapes: ResultShapes): number {
  if (patternsOf !== shapes) {
    patternsOf = shapes;
    patterns = [];
    lastShape = 0;
  }
  if (lastShape !== 0 && patterns[lastShape]?.test(text)) return lastShape;
  lastShape = shapes.idOfResult(untagResult(JSON.parse(text) as Record<string, unknown>));
  if (patterns[lastShape] === undefined) patterns[lastShape] = shapePattern(shapes.shapes[lastShape]);
  return lastShape;
}

/**
 * Reads the record keys of the JSON line s[from, to) into `out`, the same as JSON.parse, isTaskRecord
 * and {@link keysOfRecord} would, when the line is a record in the form our writers write (see
 * RECORD); any other line, valid or not, returns false and is left to JSON.parse. The whole line is
 * checked, so a line read here is one JSON.parse reads as a record.
 */
export function scanRecordLine(s: string, from: number, to: number, shapes: ResultShapes, out: RecordKeys): boolean {
  RECORD.lastIndex = from;
  const m = RECORD.exec(s);
  if (m === null || RECORD.lastIndex !== to) return false;
  out.task = Number(m[1]);
  out.attempt = Number(m[2]);
  out.status = m[3] as TaskStatus;
  out.source = m[7] as TaskRecord['source'];
  out.start = parseIso(m[4]);
  const end = parseIso(m[5]);
  out.end = end === end ? end : Infinity;
  out.shape = out.status === 'done' && m[6] !== 'null' ? shapeOf(m[6], shapes) : 0;
  return true;
}
