// Points files for method `list`: CSV and JSON parsing, cell typing, errors at file:line.
import t from 'tap';
import { join } from 'node:path';
import type { ParamSpec } from '../../src/config/types.js';
import { validatePoints } from '../../src/sampling/list.js';
import { parseCell, parseCsvPoints, parseJsonPoints, readPointsFile } from '../../src/sampling/points-file.js';

t.test('cells: finite decimal numbers, booleans, else text', async (t) => {
  t.equal(parseCell('1'), 1);
  t.equal(parseCell('-2.5e-3'), -0.0025);
  t.equal(parseCell('.5'), 0.5);
  t.equal(parseCell('+3.'), 3);
  t.equal(parseCell('true'), true);
  t.equal(parseCell('false'), false);
  for (const s of ['', 'True', '0x10', 'Infinity', 'NaN', '1e999', '1 2', 'abc', '1,5']) t.equal(parseCell(s), s, s);
});

t.test('CSV with RFC 4180 quoting', async (t) => {
  const text =
    '\ufeffname,alpha, note ,flag\r\n' +
    'a,0.5,"hello, world",true\r\n' +
    '"b ""quoted""",1e-3,"two\nlines",false\r\n' +
    ' c , 7 ,"",x\r\n' +
    '"3",  "4"  ,plain,\n' +
    '\n';
  const { points, lines } = parseCsvPoints(text, 'p.csv');
  t.same(points, [
    { name: 'a', alpha: 0.5, note: 'hello, world', flag: true },
    { name: 'b "quoted"', alpha: 0.001, note: 'two\nlines', flag: false },
    { name: 'c', alpha: 7, note: '', flag: 'x' },
    { name: 3, alpha: 4, note: 'plain', flag: '' },
  ]);
  t.same(lines, [2, 3, 5, 6], 'a record starts on its first physical line');
});

t.test('CSV errors name file:line', async (t) => {
  t.throws(() => parseCsvPoints('a,b\n1,2\n"x\ny",2,3\n', 'p.csv'), {
    name: 'DataError',
    message: 'p.csv:3: 3 fields, but the header has 2',
  });
  t.throws(() => parseCsvPoints('a,b\n1,2\n3,"oops\n', 'p.csv'), { message: /^p\.csv:3: unterminated quoted field/ });
  t.throws(() => parseCsvPoints('a,b\n1,"x"y\n', 'p.csv'), { message: /^p\.csv:2: text after a closing quote in column 2 \(write "" for a quote/ });
  t.throws(() => parseCsvPoints('a,b\n1,"x" y\n', 'p.csv'), { message: /^p\.csv:2: text after a closing quote in column 2/ });
  t.throws(() => parseCsvPoints('a,b\n1,x"y\n', 'p.csv'), { message: /^p\.csv:2: quote inside an unquoted field in column 2/ });
  t.throws(() => parseCsvPoints('a,a\n1,2\n', 'p.csv'), { message: 'p.csv:1: column "a" appears twice in the header' });
  t.throws(() => parseCsvPoints('a,,b\n1,2,3\n', 'p.csv'), { message: 'p.csv:1: column 2 of the header has no name' });
  t.throws(() => parseCsvPoints('', 'p.csv'), { message: /^p\.csv:1: empty file/ });
});

t.test('a row holding only "" is a point with an empty value, never dropped', async (t) => {
  t.same(parseCsvPoints('x\n""\n\n""\n1\n', 'p.csv'), { points: [{ x: '' }, { x: '' }, { x: 1 }], lines: [2, 4, 5] });
  t.same(parseCsvPoints('x\n  ""  \n', 'p.csv').points, [{ x: '' }], 'blanks around the quotes are trimmed');
  t.throws(() => parseCsvPoints('x,y\n1,2\n""\n', 'p.csv'), { message: 'p.csv:3: 1 fields, but the header has 2' });
  // The empty value reaches the domain check, which names the column (or takes it, for a string level).
  const { points, lines } = parseCsvPoints('x,mode\n1,a\n"",""\n', 'p.csv');
  const params: Record<string, ParamSpec> = { x: { kind: 'uniform', low: 0, high: 2 }, mode: { kind: 'values', values: ['a', ''] } };
  t.throws(() => validatePoints(params, points, (i) => `p.csv:${lines[i]}`), { message: 'p.csv:3: parameter "x": expected a number, got an empty value ("")' });
  t.same(validatePoints({ ...params, x: { kind: 'values', values: [1, ''] } }, points), [{ x: 1, mode: 'a' }, { x: '', mode: '' }]);
});

t.test('blank lines are not records, and lines are counted across them and inside quoted fields', async (t) => {
  t.same(parseCsvPoints('\n  \nx\n\n \t \n7\n\n', 'p.csv'), { points: [{ x: 7 }], lines: [6] });
  t.same(parseCsvPoints('x\n', 'p.csv'), { points: [], lines: [] }, 'a header alone is an empty list');
  // csv-parse's own line count takes a CRLF inside a quoted field for two lines; ours must not.
  const crlf = 'a,b\r\n"x\r\ny",1\r\n\r\n2,3\r\n';
  t.same(parseCsvPoints(crlf, 'p.csv'), { points: [{ a: 'x\r\ny', b: 1 }, { a: 2, b: 3 }], lines: [2, 5] });
  t.throws(() => parseCsvPoints('a,b\r\n"x\r\ny",1\r\n3,"oops\r\n', 'p.csv'), { message: /^p\.csv:4: unterminated quoted field in column 2/ });
  t.throws(() => parseCsvPoints('a,b\r\n"x\r\ny",1\r\n\r\n3\r\n', 'p.csv'), { message: 'p.csv:5: 1 fields, but the header has 2' });
  t.same(parseCsvPoints('a,b\r1,2\n3,4\r\n5,6', 'p.csv'), { points: [{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }], lines: [2, 3, 4] }, 'CR, LF and CRLF line ends mixed, no final newline');
});

t.test('JSON: array of objects, errors at file:line', async (t) => {
  const text = '[\n  {"a": 1, "b": "x"},\n  {"a": 2.5,\n   "b": true}\n]\n';
  t.same(parseJsonPoints(text, 'p.json'), { points: [{ a: 1, b: 'x' }, { a: 2.5, b: true }], lines: [2, 3] });
  t.throws(() => parseJsonPoints('[\n {"a": 1},\n {"a": null}\n]', 'p.json'), {
    message: 'p.json:3: point 1, "a": expected a number, string or boolean, got null',
  });
  t.throws(() => parseJsonPoints('[\n {"a": "[{"},\n 5\n]', 'p.json'), { message: 'p.json:3: point 1 is not an object of parameter values' });
  t.throws(() => parseJsonPoints('{"a": 1}', 'p.json'), { message: /^p\.json:1: expected a JSON array/ });
  t.throws(() => parseJsonPoints('[\n {"a": 1},\n {"a": }\n]', 'p.json'), { message: /^p\.json:3: invalid JSON/ });
  t.throws(() => parseJsonPoints('[\n {"a": 1},\n {"a": 2}\n', 'p.json'), { message: /^p\.json:4: invalid JSON/ });
  t.throws(() => parseJsonPoints('[{"a": "x\\"y"}] z', 'p.json'), { message: /^p\.json:1: invalid JSON/ });
});

t.test('JSON nested deeper than the stack: a DataError at the line, not a RangeError (fuzz counterexample)', async (t) => {
  t.throws(() => parseJsonPoints('['.repeat(20000), 'p.json'), { name: 'DataError', message: /^p\.json:1: invalid JSON/ });
  t.throws(() => parseJsonPoints(`[\n${'{"a": ['.repeat(20000)}\n`, 'p.json'), { name: 'DataError', message: /^p\.json:3: invalid JSON/ });
  t.throws(() => parseJsonPoints(`[\n${'['.repeat(20000)}1,\n}`, 'p.json'), { name: 'DataError', message: /^p\.json:3: invalid JSON/ });
});

t.test('a column named __proto__ is kept, so it is reported as an unknown parameter rather than dropped (fuzz counterexample)', async (t) => {
  const params: Record<string, ParamSpec> = { alpha: { kind: 'values', values: [2] } };
  for (const [text, file] of [['__proto__,alpha\n1,2\n', 'p.csv'], ['[{"__proto__": 1, "alpha": 2}]', 'p.json']]) {
    const { points } = (file === 'p.csv' ? parseCsvPoints : parseJsonPoints)(text, file);
    t.strictSame(points.map((p) => Object.entries(p)), [[['__proto__', 1], ['alpha', 2]]], file);
    t.throws(() => validatePoints(params, points), { name: 'DataError', message: /unknown parameter "__proto__"/ }, file);
  }
});

t.test('readPointsFile picks the format by extension and checks the points, errors at file:line', async (t) => {
  const dir = t.testdir({
    'p.csv': 'x,y\n1,"a"\n2,b\n',
    'p.json': '[{"x": 1, "y": "a"}]',
    'bad.csv': 'x,y\n1\n',
    'empty-cells.csv': 'x,y\n1,a\n"",b\n',
    'empty-label.csv': 'x,y\n1,a\n2,""\n',
  });
  const params: Record<string, ParamSpec> = { x: { kind: 'int', low: 0, high: 9 }, y: { kind: 'values', values: ['a', 'b', ''] } };
  t.same(await readPointsFile(join(dir, 'p.csv'), params), [{ x: 1, y: 'a' }, { x: 2, y: 'b' }]);
  t.same(await readPointsFile(join(dir, 'p.json'), params), [{ x: 1, y: 'a' }]);
  await t.rejects(readPointsFile(join(dir, 'bad.csv'), params), { name: 'DataError', message: `${join(dir, 'bad.csv')}:2: 1 fields, but the header has 2` });
  await t.rejects(readPointsFile(join(dir, 'missing.csv'), params), { name: 'DataError', code: 'E_DATA', message: /cannot read points file/ });
  // an empty cell: the empty string, a value of a string level, an error at file:line naming the column for a number
  t.same(await readPointsFile(join(dir, 'empty-label.csv'), params), [{ x: 1, y: 'a' }, { x: 2, y: '' }], 'no row dropped');
  await t.rejects(readPointsFile(join(dir, 'empty-cells.csv'), params), {
    name: 'DataError',
    message: `${join(dir, 'empty-cells.csv')}:3: parameter "x": expected an integer, got an empty value ("")`,
  });
});
