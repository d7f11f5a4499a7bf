// parseResult and csvValue: what a simulation's result.json / result.csv becomes in its record.
import t from 'tap';
import { csvValue, parseResult } from '../../src/node/result.js';

const json = (text: string) => parseResult(text, { file: 'result.json', format: 'json' });
const csv = (text: string) => parseResult(text, { file: 'out.csv', format: 'csv' });

t.test('JSON: nested objects flatten to dotted keys, arrays become JSON text, null stays', async (t) => {
  t.same(json('{"y": 1.5, "ok": true, "name": "a", "none": null, "stats": {"mean": 2, "ci": {"lo": 1}}, "xs": [1, "b"]}'), {
    ok: true,
    result: { y: 1.5, ok: true, name: 'a', none: null, 'stats.mean': 2, 'stats.ci.lo': 1, xs: '[1,"b"]' },
  });
  t.same(json('{}'), { ok: true, result: {} });
});

t.test('JSON: a leading BOM is skipped, as in CSV results and points files (fuzz counterexample)', async (t) => {
  t.same(json('\ufeff{"y": 1}'), { ok: true, result: { y: 1 } });
});

t.test('JSON nested 20,000 deep: a row or a bad result, not a RangeError (fuzz counterexample)', async (t) => {
  const d = 20000;
  t.same(json(`{"x":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`), { ok: true, result: { [`x${'.a'.repeat(d)}`]: 1 } });
  t.match(json(`{"x":${'['.repeat(d)}1${']'.repeat(d)}}`), { ok: false, reason: 'bad result: result.json: the list "x" is nested too deeply to be written back as JSON' });
});

t.test('nothing is dropped silently: a __proto__ column is kept; two values for one column and overflowing numbers are bad results (fuzz counterexamples)', async (t) => {
  for (const parsed of [json('{"__proto__": 1, "y": 2}'), csv('__proto__,y\n1,2\n')]) t.strictSame(parsed.ok && Object.entries(parsed.result), [['__proto__', 1], ['y', 2]]);
  t.same(json('{"a.b": 1, "a": {"b": 2}}'), { ok: false, reason: 'bad result: result.json has two values for the column "a.b" (a dotted key and a nested object); rename one' });
  t.same(csv('y,y\n1,2\n'), { ok: false, reason: 'bad result: out.csv has the column "y" twice in its header; rename one' });
  t.same(json('{"s": {"y": -1e400}}'), { ok: false, reason: 'bad result: result.json: "s.y" is a number beyond the range of a double (about ±1.8e308); write it as a string or rescale it' });
});

t.test("JSON: NaN, Infinity and -Infinity as Python's json.dump writes them are those numbers; a string \"NaN\" stays text", async (t) => {
  // python3 -c 'import json, math; print(json.dumps({"y": math.nan, "hi": math.inf, "lo": -math.inf, "s": "NaN", "ok": 1.5, "xs": [1.0, math.nan], "m": {"e": math.inf}}))'
  const r = json('{"y": NaN, "hi": Infinity, "lo": -Infinity, "s": "NaN", "ok": 1.5, "xs": [1.0, NaN], "m": {"e": Infinity}}');
  t.same(r, { ok: true, result: { y: NaN, hi: Infinity, lo: -Infinity, s: 'NaN', ok: 1.5, xs: '[1,NaN]', 'm.e': Infinity } }, 'a list keeps its tokens in its text, as Python writes it');
  t.ok(r.ok && Object.is(r.result.y, NaN));
  t.same(json('\ufeff{"y": -Infinity}'), { ok: true, result: { y: -Infinity } }, 'after a BOM too');
  t.same(json('{"y": NaN, "big": 1e999}'), {
    ok: false,
    reason: 'bad result: result.json: the number 1e999 at position 18 is beyond the range of a double (about ±1.8e308); write it as a string or rescale it',
  });
  t.same(json('NaN'), { ok: false, reason: 'bad result: result.json must hold a JSON object, not NaN' });
  for (const text of ['{"y": nan}', '{"y": inf}', '{"y": -NaN}', '{"y": NaN,}', '{NaN: 1}', "{'y': NaN}"]) {
    t.match(json(text), { ok: false, reason: /^bad result: result\.json is not valid JSON \(Unexpected token/ }, text);
  }
});

t.test('JSON: anything but an object is a bad result that says what it got', async (t) => {
  t.match(json('{"y": nan}'), { ok: false, reason: /^bad result: result\.json is not valid JSON \(/ });
  t.match(json(''), { ok: false, reason: /is not valid JSON/ });
  t.same(json('[1, 2]'), { ok: false, reason: 'bad result: result.json must hold a JSON object, not an array' });
  t.same(json('42'), { ok: false, reason: 'bad result: result.json must hold a JSON object, not 42' });
  t.same(json('null'), { ok: false, reason: 'bad result: result.json must hold a JSON object, not null' });
});

t.test('csvValue: empty is null, finite numbers and true/false are typed, the rest is text', async (t) => {
  t.equal(csvValue(''), null);
  t.equal(csvValue('3'), 3);
  t.equal(csvValue('-2.5e-3'), -0.0025);
  t.equal(csvValue('.5'), 0.5);
  t.equal(csvValue('-.5'), -0.5);
  t.equal(csvValue('+7'), 7);
  t.equal(csvValue(' 7 '), 7, 'blanks around a number, as Number() reads it');
  t.equal(csvValue('-0'), -0);
  t.equal(csvValue('true'), true);
  t.equal(csvValue('false'), false);
  for (const s of ['NaN', 'nan', 'inf', '-inf', 'Infinity', '-Infinity', '1e999', 'TRUE', 'abc', '1,5', '1 2', ' ', '\t', '.', '-', '-.', '+']) {
    t.equal(csvValue(s), s, `${JSON.stringify(s)} stays text`);
  }
});

t.test('CSV: a header and one row, typed; quoted commas, CRLF and a BOM', async (t) => {
  t.same(csv('\ufeffy,label,ok,missing,empty\r\n0.5,"a, b",true,,""\r\n'), {
    ok: true,
    result: { y: 0.5, label: 'a, b', ok: true, missing: null, empty: null },
  });
  t.same(csv('note\n"two\nlines"\n'), { ok: true, result: { note: 'two\nlines' } }, 'an embedded newline stays in its field');
  t.same(csv('y,z\nNaN,inf\n'), { ok: true, result: { y: 'NaN', z: 'inf' } }, 'NaN and inf are text, not numbers');
  t.same(csv('\ny\n\n7\n\n'), { ok: true, result: { y: 7 } }, 'blank lines are skipped');
});

t.test('CSV: a single-column row holding "" is the row (null), not a blank line', async (t) => {
  t.same(csv('y\n""\n'), { ok: true, result: { y: null } });
});

t.test('CSV: wrong shapes and malformed text are bad results naming the file', async (t) => {
  t.same(csv('y\n1\n2\n'), { ok: false, reason: 'bad result: out.csv must be a CSV with a header and exactly one row (it has 2 data rows)' });
  t.same(csv('y\n'), { ok: false, reason: 'bad result: out.csv must be a CSV with a header and exactly one row (it has 0 data rows)' });
  t.same(csv(''), { ok: false, reason: 'bad result: out.csv must be a CSV with a header and exactly one row (it has 0 data rows)' });
  t.same(csv('a,b\n1\n'), { ok: false, reason: 'bad result: out.csv has 2 header fields but 1 values' });
  t.same(csv('a,b\n1,"open\n'), { ok: false, reason: 'bad result: out.csv:2: unterminated quoted field in column 2' });
});
