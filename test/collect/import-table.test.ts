import t from 'tap';
import { parseResultFile, plainCsvRows } from '../../src/collect/import.js';
import { ImportTableBuilder, buildImportTable, type ImportedRow } from '../../src/collect/import-table.js';
import { csvValue } from '../../src/node/result.js';

const TEXTS = [
  'a,b\n1,x\n',
  'a,b\n1,x',
  'a,b\n1,x\n\n\n',
  'a,b\n\n1,x\n',
  '\na,b\n1,x\n',
  'a,b\r\n1,x\r\n',
  '\ufeffa,b\n1,x\n',
  'a,b\n"1",x\n',
  'a,b\n1,x\n2,y\n',
  'a,b\n',
  'a,b\n1\n',
  'a,a\n1,2\n',
  '__proto__,b\n1,2\n',
  ',b\n1,2\n',
  'a,b,c,d\n1.5e3,-0.25,true,\n',
  'a,b\n  7,NaN\n',
  'a,b\n+3,Infinity\n',
  'b,10,a,2\nx,1,2,false\n',
  '',
  '\n',
  ' \n \n',
  '\t\n\t',
];

t.test('plainCsvRows takes the plain one-row texts, with the result parseResultFile gives; the rest it leaves', async (t) => {
  // one reader across all of them: a changed header is split again
  const fast = plainCsvRows();
  let taken = 0;
  for (const text of [...TEXTS, ...TEXTS]) {
    const got = fast(text);
    if (got === null) continue;
    taken++;
    const result = Object.fromEntries(got.keys.map((k, i) => [k, csvValue(got.fields[i])]));
    t.same(parseResultFile('r.csv', text), { ok: true, result }, JSON.stringify(text));
  }
  t.equal(taken, 2 * 8, 'the plain one-row texts are taken, the rest are left to parseResultFile');
  t.equal(fast('a,b\n1,2,3\n'), null, 'a row of another width');
  t.equal(fast('a,a\n1,2\n'), null, 'a repeated name');
});

t.test('the table of rows added as CSV fields is the table of the same rows added as objects', async (t) => {
  const fast = plainCsvRows();
  const files: Array<[string, string]> = [
    ['k=3/run_b/r.csv', 'b,10,a,2\nx,1,2,false\n'],
    ['k=1/run_a/r.csv', 'b,10,a,2\ny,,2.5,true\n'],
    ['k=2/run_c/r.csv', 'a,z\n4,text\n'],
    ['k=x/run_d/r.csv', 'a,b\n5,6\n'],
  ];
  const asFields = new ImportTableBuilder();
  const asObjects: ImportedRow[] = [];
  for (const [path, text] of files) {
    const params = { k: path.split('/')[0].slice(2) };
    const f = fast(text);
    if (f === null) throw new Error(`not plain: ${text}`);
    asFields.addFields(path, params, f.keys, f.fields);
    const parsed = parseResultFile(path, text);
    if (!parsed.ok) throw new Error(parsed.reason);
    asObjects.push({ path, params, result: parsed.result });
  }
  asObjects.sort((a, b) => (a.path < b.path ? -1 : 1));
  const want = buildImportTable(asObjects);
  const got = asFields.build(true);
  t.same(got.schema.fields.map((f) => `${f.name}:${String(f.type)}`), want.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
  t.same(got.toArray().map((r) => r.toJSON()), want.toArray().map((r) => r.toJSON()));
  t.same(
    got.schema.fields.map((f) => f.name),
    ['path', 'k', '2', '10', 'b', 'a', 'z'],
    'integer-like names first within a row (object key order), then first seen along the sorted rows',
  );
  t.same(
    got.toArray().map((r) => [r.path, r.k, r.b, r.a, r['2']]),
    [
      ['k=1/run_a/r.csv', '1', 'y', 2.5, true],
      ['k=2/run_c/r.csv', '2', null, 4, null],
      ['k=3/run_b/r.csv', '3', 'x', 2, false],
      ['k=x/run_d/r.csv', 'x', '6', 5, null],
    ],
    'rows in path order; b mixes text and a number: utf8, the number as text; k likewise; column 2 is bool',
  );
});

t.test('result columns grow past their first capacity and keep every kind', async (t) => {
  const b = new ImportTableBuilder();
  const n = 5000;
  for (let i = 0; i < n; i++) b.add({ path: `r${String(i).padStart(5, '0')}`, params: {}, result: { x: i / 2, flag: i % 2 === 0, s: i === 4321 ? 'odd one' : null } });
  const table = b.build(false);
  t.same(table.schema.fields.map((f) => `${f.name}:${String(f.type)}`), ['path:Utf8', 'x:Float64', 'flag:Bool', 's:Utf8']);
  t.equal(table.numRows, n);
  const rows = table.toArray();
  t.same([rows[0].x, rows[n - 1].x, rows[3].flag, rows[4321].s, rows[17].s], [0, (n - 1) / 2, false, 'odd one', null]);
});
