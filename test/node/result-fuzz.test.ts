// Fuzzed result files (issue 14): any text a simulation may write gives a flat row of scalars or a "bad result" reason — never a throw, nothing dropped.
import fc from 'fast-check';
import t from 'tap';
import { parseResult, type ParsedResult } from '../../src/node/result.js';
import { asUtf8, cellValue, columnName, csvStyle, fuzzParams, jsonTree, mutate, noHang, oddBytes, table, textEdits, toCsv } from '../helpers/fuzz.js';

const JSON_SPEC = { file: 'result.json', format: 'json' } as const;
const CSV_SPEC = { file: 'result.csv', format: 'csv' } as const;

/** A row of scalars (NaN and ±Infinity only where the text writes those tokens, never from a number beyond a double), or a reason that starts `bad result: `. */
function rowOrReason(text: string, spec: typeof JSON_SPEC | typeof CSV_SPEC): ParsedResult {
  const parsed = noHang('parseResult', () => parseResult(text, spec));
  if (!parsed.ok) {
    if (!parsed.reason.startsWith('bad result: ')) throw new Error(`reason: ${parsed.reason}`);
    return parsed;
  }
  for (const [k, v] of Object.entries(parsed.result)) {
    const token = typeof v === 'number' && !Number.isFinite(v) && text.includes(Number.isNaN(v) ? 'NaN' : 'Infinity');
    if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && (Number.isFinite(v) || token)))) throw new Error(`${k}: ${String(v)} in the row`);
  }
  return parsed;
}

/** Leaves of a JSON object as dotted keys (arrays are leaves): what the row must hold. */
function leaves(v: Record<string, unknown>, prefix = '', out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  for (const [k, x] of Object.entries(v)) {
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) leaves(x as Record<string, unknown>, `${prefix}${k}.`, out);
    else out.push([`${prefix}${k}`, Array.isArray(x) ? JSON.stringify(x) : x]);
  }
  return out;
}

const numberTokens = fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0', '0.1e1', '1.', '.5', '01');
const deepJson = fc.tuple(fc.constantFrom(10, 3000, 20000), fc.constantFrom('{"a":', '[', '{"a":[')).map(([d, open]) => `{"x":${open.repeat(d)}1${[...open.repeat(d)].reverse().join('').replace(/\{"a":/g, '}').replace(/[{[":a]/g, (c) => ({ '[': ']', '{': '}' })[c] ?? '')}}`);

t.test('any JSON text, edited, with odd numbers, deep nesting, a BOM or invalid UTF-8: a row or a bad result', async (t) => {
  const text = fc.oneof(
    { weight: 5, arbitrary: jsonTree.map((v) => JSON.stringify(v) ?? '') },
    { weight: 5, arbitrary: fc.tuple(fc.dictionary(columnName, jsonTree, { maxKeys: 4 }), numberTokens).map(([o, n]) => JSON.stringify(o).replace(/\d+(\.\d+)?|null/, n)) },
    { weight: 1, arbitrary: deepJson },
  );
  fc.assert(
    fc.property(text, textEdits, oddBytes, fc.double({ min: 0, max: 1, noNaN: true }), (s, edits, odd, at) => {
      rowOrReason(asUtf8(mutate(s, edits), odd, at), JSON_SPEC);
    }),
    fuzzParams(1000),
  );
  t.pass('all rows or reasons');
});

t.test('a JSON object keeps every leaf under its dotted key, with or without a BOM', async (t) => {
  fc.assert(
    fc.property(fc.dictionary(columnName, jsonTree, { maxKeys: 5 }), fc.boolean(), (o, bom) => {
      const parsed = rowOrReason((bom ? '\ufeff' : '') + JSON.stringify(o), JSON_SPEC);
      const want = leaves(o);
      // two leaves that flatten to one column (a.b and {a: {b}}) cannot both be kept: that must be said, not settled silently
      const clash = new Set(want.map(([k]) => k)).size < want.length;
      if (!parsed.ok) {
        if (clash) return;
        throw new Error(parsed.reason);
      }
      if (clash) throw new Error('two leaves in one column, and no reason');
      const got = Object.entries(parsed.result);
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`row ${JSON.stringify(got)} for leaves ${JSON.stringify(want)}`);
    }),
    fuzzParams(1000),
  );
  t.pass('every leaf kept');
});

t.test('any CSV text, edited, with a BOM or invalid UTF-8: a row or a bad result; a well-formed one keeps its header', async (t) => {
  fc.assert(
    fc.property(table, csvStyle, textEdits, oddBytes, fc.double({ min: 0, max: 1, noNaN: true }), ([raw, rows], style, edits, odd, at) => {
      rowOrReason(asUtf8(mutate(toCsv([raw, rows], style), edits), odd, at), CSV_SPEC);
      // a header as read from a file: well-formed UTF-16 (csv-parse turns a lone surrogate into U+FFFD)
      const header = raw.map((h) => Buffer.from(h).toString());
      if (header.every((h) => h === '')) return; // a header of one blank name is a blank line
      const one = [header.map(() => 1)];
      const parsed = rowOrReason(toCsv([header, one], style), CSV_SPEC);
      const unique = new Set(header).size === header.length;
      if (parsed.ok !== unique) throw new Error(`${JSON.stringify(header)}: ${parsed.ok ? 'a row despite a repeated column' : parsed.reason}`);
      if (parsed.ok && Object.keys(parsed.result).sort().join('\0') !== [...header].sort().join('\0')) throw new Error(`columns ${JSON.stringify(Object.keys(parsed.result))} for ${JSON.stringify(header)}`);
    }),
    fuzzParams(1000),
  );
  t.pass('all rows or reasons');
});

t.test('cell values keep their type or stay text', async (t) => {
  fc.assert(fc.property(cellValue, (v) => void rowOrReason(`v\n${v === null ? '' : JSON.stringify(String(v))}\n`, CSV_SPEC)), fuzzParams(300));
  t.pass('finite or text');
});
