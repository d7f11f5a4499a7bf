// parseCsvRecords and parseCsv: the CSV tokenizer the points file and the result file share.
import t from 'tap';
import { parseCsv, parseCsvRecords } from '../../src/util/csv.js';

t.test('RFC 4180 fields: quoted commas, doubled quotes, embedded newlines, empty fields', async (t) => {
  const text = 'a,b,c\n"1,5","say ""hi""","two\nlines"\n,"",x\n';
  t.same(parseCsv(text), [
    ['a', 'b', 'c'],
    ['1,5', 'say "hi"', 'two\nlines'],
    ['', '', 'x'],
  ]);
});

t.test('a BOM is skipped and CRLF, LF and CR all end a line; a CRLF inside quotes is kept', async (t) => {
  t.same(parseCsv('\ufeffa,b\r\n1,2\r\n'), [['a', 'b'], ['1', '2']]);
  t.same(parseCsv('a\r1\n2\r\n3'), [['a'], ['1'], ['2'], ['3']], 'mixed line ends, no final newline');
  t.same(parseCsv('a\r\n"x\r\ny"\r\n'), [['a'], ['x\r\ny']]);
  t.same(parseCsv('a,b\n1,\n'), [['a', 'b'], ['1', '']], 'a trailing comma is an empty last field');
});

t.test('blank lines are no records; a line holding "" is one', async (t) => {
  t.same(parseCsv('\na\n\n\n1\n\n'), [['a'], ['1']]);
  t.same(parseCsv('a\n""\n'), [['a'], ['']]);
  t.same(parseCsv(''), []);
  t.same(parseCsv('\r\n\r\n'), []);
});

t.test('records carry the line they start on, across blank lines and quoted line breaks', async (t) => {
  const text = 'h\r\n\r\n"a\r\nb\r\nc"\r\n\r\n\r\nz\r\n"\n"\rq';
  t.same(
    parseCsvRecords(text, 'f.csv').map((r) => [r.line, r.cells]),
    [
      [1, ['h']],
      [3, ['a\r\nb\r\nc']],
      [8, ['z']],
      [9, ['\n']],
      [11, ['q']],
    ],
  );
});

t.test('rows of different lengths come back as they are', async (t) => {
  t.same(parseCsv('a,b\n1\n1,2,3\n'), [['a', 'b'], ['1'], ['1', '2', '3']]);
});

t.test('extra options: trim drops blanks outside quotes only', async (t) => {
  const rows = parseCsvRecords(' a , b \n  " x " ,\ty\t\n', 'f.csv', { trim: true });
  t.same(rows.map((r) => r.cells), [['a', 'b'], [' x ', 'y']]);
  t.same(parseCsv(' a , b \n'), [[' a ', ' b ']], 'result files are not trimmed');
});

t.test('result files keep a stray quote inside an unquoted field as text', async (t) => {
  t.same(parseCsv('size,label\n5",a "b"\n'), [['size', 'label'], ['5"', 'a "b"']]);
  t.throws(() => parseCsvRecords('a,b\n5",x\n', 'f.csv'), { message: /^f\.csv:2: quote inside an unquoted field in column 1/ }, 'strict without relax_quotes');
});

t.test('malformed text throws a DataError at file:line, the line its record starts on', async (t) => {
  t.throws(() => parseCsv('a,b\n1,2\n\n3,"open\nmore\n', 'out.csv'), {
    name: 'DataError',
    code: 'E_DATA',
    message: 'out.csv:4: unterminated quoted field in column 2',
  });
  t.throws(() => parseCsv('a\r\n"x\r\ny"\r\n"z', 'out.csv'), { message: /^out\.csv:4: unterminated quoted field/ }, 'CRLF inside quotes counted once');
  t.throws(() => parseCsvRecords('a,b\n"x"y,2\n', 'p.csv'), { message: /^p\.csv:2: text after a closing quote in column 1/ });
  t.throws(() => parseCsv('"a'), { message: /^CSV:1: unterminated quoted field/ }, 'without a file name');
});

t.test('parseCsv splits a text without quotes itself, exactly as csv-parse splits it', async (t) => {
  const texts = [
    'a,b\n1,2\n',
    'a,b\r\n1,2',
    'a,b\r1,2\r',
    '\n\na,b\n\n1,2\n\n',
    'a,b,c\n1,,x y\n',
    ' a , b\n 1 ,2 \n',
    'a\n\t\n',
    "a,b\n1,it's\n",
    'a,b\n1\n',
    'a,b\n1,2\n3,4\n',
    'a,a\n1,2\n',
    'a,b\n1,2,3\n',
    ',\n,\n',
    'a,__proto__\n1,2\n',
  ];
  for (const text of texts) {
    // csv-parse itself, with the options parseCsv gives it for a text with a quote
    t.same(parseCsv(text), parseCsvRecords(text, 'r.csv', { relax_quotes: true }).map((r) => r.cells), JSON.stringify(text));
  }
});
