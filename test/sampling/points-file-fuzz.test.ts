// Fuzzed points files (issue 14): generated CSV and JSON points, hand-edited and byte-corrupted, give points or a DataError at file:line.
import fc from 'fast-check';
import { deepStrictEqual } from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DataError } from '../../src/errors.js';
import { parseCell, parsePointsFile, readPointsFile } from '../../src/sampling/points-file.js';
import { asUtf8, cellValue, columnName, csvStyle, fuzzParams, jsonTree, mutate, noHang, oddBytes, table, textEdits } from '../helpers/fuzz.js';

/** Points, or a DataError whose message starts `file:line: `; nothing else. */
function pointsOrLocated(text: string, file: string): ReturnType<typeof parsePointsFile> | null {
  try {
    return noHang('parsePointsFile', () => parsePointsFile(text, file));
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    if (!e.message.startsWith(`${file}:`) || !/^:\d+: /.test(e.message.slice(file.length))) throw new Error(`not at ${file}:line: ${e.message}`);
    return null;
  }
}

const jsonText = fc.oneof(
  fc.tuple(fc.array(fc.dictionary(columnName, cellValue, { maxKeys: 4 }), { maxLength: 4 }), fc.constantFrom(0, 2)).map(([pts, indent]) => JSON.stringify(pts, null, indent)),
  jsonTree.map((v) => JSON.stringify(v) ?? ''),
  fc.tuple(fc.constantFrom(1, 10, 20000), fc.constantFrom('[', '{"a":', '[{"a":')).map(([d, open]) => open.repeat(d)),
  fc.constantFrom(1, 10, 20000).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
);
const csvText = fc.tuple(table, csvStyle).map(([tb, style]) => toCsvText(tb, style));
function toCsvText(tb: [string[], unknown[][]], style: { always: boolean; eol: string; bom: boolean }): string {
  const line = (cells: unknown[]) => cells.map((c) => (c === null ? '' : style.always || /[",\r\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',');
  return (style.bom ? '\ufeff' : '') + [tb[0], ...tb[1]].map(line).join(style.eol) + style.eol;
}

t.test('any points text, edited: points or a DataError at file:line', async (t) => {
  fc.assert(
    fc.property(fc.oneof(csvText.map((s) => [s, 'p.csv']), jsonText.map((s) => [s, 'p.json'])), textEdits, ([text, file], edits) => {
      pointsOrLocated(mutate(text, edits), file);
    }),
    fuzzParams(1000),
  );
  t.pass('all parsed or located');
});

t.test('a well-formed CSV keeps every column of its header, values typed as cells', async (t) => {
  // text read from a file is well-formed UTF-16: no lone surrogates (csv-parse would turn them into U+FFFD)
  const wellFormed = (s: string) => Buffer.from(s).toString() === s;
  const uniqueHeader = fc.uniqueArray(columnName.filter((n) => n.trim() !== '' && n === n.trim() && wellFormed(n)), { minLength: 1, maxLength: 4 });
  const rect = uniqueHeader.chain((h) => fc.tuple(fc.constant(h), fc.array(fc.array(cellValue.filter((v) => typeof v !== 'string' || wellFormed(v)).map((v) => (typeof v === 'string' ? v.trim() : v)), { minLength: h.length, maxLength: h.length }), { maxLength: 3 })));
  fc.assert(
    fc.property(rect, csvStyle, ([header, rows], style) => {
      // a record of only blanks is a blank line to the reader
      const kept = rows.filter((r) => r.some((c) => c !== null && c !== ''));
      const parsed = pointsOrLocated(toCsvText([header, kept], style), 'p.csv');
      if (!parsed) return;
      const expected = kept.map((r) => Object.fromEntries(header.map((h, k) => [h, parseCell(r[k] === null ? '' : String(r[k]))])));
      deepStrictEqual(parsed.points.map((p) => Object.keys(p)), expected.map((p) => Object.keys(p)));
      deepStrictEqual(parsed.points, expected);
    }),
    fuzzParams(300),
  );
  t.pass('every column kept');
});

t.test('a well-formed JSON points file keeps every key and value', async (t) => {
  const points = fc.array(fc.dictionary(columnName, cellValue.filter((v) => v !== null), { maxKeys: 4 }), { maxLength: 3 });
  fc.assert(
    fc.property(points, fc.boolean(), (pts, bom) => {
      const parsed = pointsOrLocated((bom ? '\ufeff' : '') + JSON.stringify(pts), 'p.json');
      if (!parsed) throw new Error('well-formed points refused');
      deepStrictEqual(parsed.points.map((p) => Object.keys(p)), pts.map((p) => Object.keys(p)));
    }),
    fuzzParams(300),
  );
  t.pass('every key kept');
});

t.test('points files with invalid UTF-8, BOMs and odd bytes, read from disk', async (t) => {
  const dir = t.testdir({});
  await fc.assert(
    fc.asyncProperty(fc.oneof(csvText.map((s) => [s, 'p.csv']), jsonText.map((s) => [s, 'p.json'])), oddBytes, fc.double({ min: 0, max: 1, noNaN: true }), async ([text, name], odd, at) => {
      const file = join(dir, name);
      writeFileSync(file, Buffer.from(asUtf8(text, odd, at), 'utf8'));
      await readPointsFile(file, {}).catch((e: unknown) => {
        if (!(e instanceof DataError) || !/^:\d+: /.test(e.message.slice(file.length))) throw e;
      });
    }),
    fuzzParams(200),
  );
  t.pass('all parsed or located');
});
