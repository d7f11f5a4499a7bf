// Hand-written: JSON with the bare tokens NaN, Infinity and -Infinity that Python's json.dump (allow_nan, its default) and numpy write for non-finite floats; JSON.parse refuses them, and JSON5 parsers, the kept libraries that read them, accept much else too (comments, quotes, hex, trailing commas).

/** What {@link parseJsonNonFinite} read. */
export interface ParsedJson {
  value: unknown;
  /** Whether the text needed the tokens (else it is plain JSON, read by JSON.parse). */
  nonFinite: boolean;
}

/** A number written beyond the range of a double, in text that needed the tokens (see {@link parseJsonNonFinite}). */
export class JsonOverflowError extends RangeError {}

/** A JSON string (RFC 8259), as regular-expression source (records/scan-record.ts reads record lines with it too). */
export const JSON_STRING = String.raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;
/** A JSON number (RFC 8259), as regular-expression source. */
export const JSON_NUMBER = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;

const WS = /[ \t\n\r]*/y;
const STRING = new RegExp(JSON_STRING, 'y');
const NUMBER = new RegExp(JSON_NUMBER, 'y');
const TOKENS: ReadonlyArray<[string, number]> = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];

/** One open array or object of the text being read, and the key its next value goes under. */
interface Frame {
  c: unknown[] | Record<string, unknown>;
  key: string;
}

/**
 * Reads JSON text (RFC 8259) in which NaN, Infinity and -Infinity may also stand for a value, as Python's json module
 * reads it: plain JSON goes to JSON.parse, other text to a reader that accepts those three tokens where a value may
 * stand and nothing else JSON.parse refuses. A token inside a string is text, as in any JSON. A number written beyond
 * the range of a double is a {@link JsonOverflowError} in that reader (JSON.parse gives ±Infinity: `nonFinite` false tells them
 * apart). Throws a SyntaxError saying where the text goes wrong. A loop with a stack, not recursion: deep nesting reads.
 */
export function parseJsonNonFinite(text: string): ParsedJson {
  try {
    return { value: JSON.parse(text), nonFinite: false };
  } catch (e) {
    if (!/NaN|Infinity/.test(text)) throw e;
  }
  return { value: readNonFinite(text), nonFinite: true };
}

function readNonFinite(text: string): unknown {
  let pos = 0;
  const fail = (): never => {
    if (pos >= text.length) throw new SyntaxError('Unexpected end of JSON input');
    const before = text.slice(0, pos);
    const line = before.split('\n').length;
    const column = pos - before.lastIndexOf('\n');
    throw new SyntaxError(`Unexpected token '${text[pos]}' at line ${line} column ${column} (position ${pos})`);
  };
  const skip = (): void => {
    WS.lastIndex = pos;
    WS.test(text);
    pos = WS.lastIndex;
  };
  const string = (): string => {
    STRING.lastIndex = pos;
    if (!STRING.test(text)) fail();
    const s = text.slice(pos, STRING.lastIndex);
    pos = STRING.lastIndex;
    return s.includes('\\') ? (JSON.parse(s) as string) : s.slice(1, -1);
  };
  const key = (): string => {
    skip();
    const k = string();
    skip();
    if (text.charCodeAt(pos) !== 58 /* : */) fail();
    pos++;
    return k;
  };
  const scalar = (): unknown => {
    const c = text.charCodeAt(pos);
    if (c === 34 /* " */) return string();
    for (const [token, v] of TOKENS) {
      if (text.startsWith(token, pos)) {
        pos += token.length;
        return v;
      }
    }
    NUMBER.lastIndex = pos;
    if (NUMBER.test(text)) {
      const n = Number(text.slice(pos, NUMBER.lastIndex));
      if (!Number.isFinite(n)) throw new JsonOverflowError(`the number ${text.slice(pos, NUMBER.lastIndex)} at position ${pos} is beyond the range of a double (about ±1.8e308)`);
      pos = NUMBER.lastIndex;
      return n;
    }
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return v;
      }
    }
    return fail();
  };

  const stack: Frame[] = [];
  for (;;) {
    // a value at pos: an open container goes on the stack (unless empty), anything else is `value`
    skip();
    const open = text.charCodeAt(pos);
    let value: unknown;
    if (open === 123 /* { */ || open === 91 /* [ */) {
      pos++;
      skip();
      if (text.charCodeAt(pos) === open + 2 /* } or ] */) {
        pos++;
        value = open === 123 ? {} : [];
      } else {
        stack.push(open === 123 ? { c: {}, key: key() } : { c: [], key: '' });
        continue;
      }
    } else value = scalar();
    // the value goes into its container; each container that ends here is the next value of its own
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        skip();
        if (pos !== text.length) fail();
        return value;
      }
      const array = Array.isArray(top.c);
      if (array) (top.c as unknown[]).push(value);
      // defined, as JSON.parse does: an assigned __proto__ would set the prototype instead
      else Object.defineProperty(top.c, top.key, { value, writable: true, enumerable: true, configurable: true });
      skip();
      const c = text.charCodeAt(pos);
      if (c === 44 /* , */) {
        pos++;
        if (!array) top.key = key();
        break;
      }
      if (c !== (array ? 93 /* ] */ : 125) /* } */) fail();
      pos++;
      value = top.c;
      stack.pop();
    }
  }
}

/**
 * JSON.stringify's text of `value` (no spacing), with non-finite numbers written as the tokens NaN, Infinity and
 * -Infinity instead of null, as Python writes them. Recursive like JSON.stringify: very deep nesting throws a RangeError.
 */
export function stringifyJsonNonFinite(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : String(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : stringifyJsonNonFinite(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members: string[] = [];
    for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') members.push(`${JSON.stringify(k)}:${stringifyJsonNonFinite(v)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
