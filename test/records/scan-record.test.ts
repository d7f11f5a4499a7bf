import t from 'tap';
import { parseRecordLine, recordLine } from '../../src/records/line.js';
import { isTaskRecord } from '../../src/records/parse.js';
import type { TaskRecord } from '../../src/records/record.js';
import { ResultShapes } from '../../src/records/result-shape.js';
import { keysOfRecord, scanRecordLine, type RecordKeys } from '../../src/records/scan-record.js';
import { doneRecord, failedRecord } from '../collect/fixtures/ensemble.js';

const blank = (): RecordKeys => ({ task: -1, attempt: -1, status: 'done', source: undefined, start: -1, end: -1, shape: -1 });

/** The keys parseRecordLine (JSON.parse) + isTaskRecord + keysOfRecord give for `line` (undefined: not a record), with `shapes` interning. */
function parsedKeys(line: string, shapes: ResultShapes): RecordKeys | undefined {
  let v: unknown;
  try {
    v = parseRecordLine(line);
  } catch {
    return undefined;
  }
  if (!isTaskRecord(v)) return undefined;
  const out = blank();
  keysOfRecord(v, shapes, out);
  return out;
}

/** The scanner's keys for `line` (undefined: left to JSON.parse); the line is scanned inside a longer text, as the index does. */
function scannedKeys(line: string, shapes: ResultShapes): RecordKeys | undefined {
  const text = `${'x'.repeat(7)}\n${line}\n{"task":0}`;
  const out = blank();
  return scanRecordLine(text, 8, 8 + line.length, shapes, out) ? out : undefined;
}

/** What the writers write: wrapper, scheduler and controller records, retries, odd hosts, reasons with escapes, results of every class. */
function writtenRecords(): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (let i = 0; i < 40; i++) out.push(doneRecord(i, 1 + (i % 3)));
  out.push(
    failedRecord(1, 'exit code 3', { stderr_tail: 'Traceback:\n  "x" \\ \t é ✓ \u0001', signal: 'SIGKILL', exit_code: null }),
    failedRecord(2, 'terminated: SIGTERM', { scratch: '/tmp/x' }),
    failedRecord(3, 'timeout: limit', { source: 'scheduler', stderr_tail: '' }),
    failedRecord(4, 'lost: the wrapper died', { source: 'controller', job_id: null }),
    { ...failedRecord(5, 'interrupted: Ctrl-C'), status: 'interrupted' },
    { ...doneRecord(6), host: 'nöde-ü', result: { label: 'π ≈ 3.14', q: '"quoted"' } },
    { ...doneRecord(7), result: { a: 1, b: -0, c: 1e21, d: 5e-324, e: -1.5e-7, f: 9007199254740993, g: 123456789012345, h: 0.5, i: true, j: false, k: null, l: 1e300 } },
    { ...doneRecord(8), result: {} },
    { ...doneRecord(16), result: { nan: NaN, inf: Infinity, ninf: -Infinity, s: 'NaN', y: 1 } },
    { ...doneRecord(9), result: null },
    { ...doneRecord(10), result: { nested: 1, z: 'x', '': 2, __proto_: 3 } },
    { ...doneRecord(11), start: 'not a date', end: '2025-01-01T00:00:00' },
    { ...doneRecord(12), start: '2024-02-29T23:59:59.999Z', end: '2024-02-30T24:00:00.000Z' },
    { ...doneRecord(13), end: '+275760-09-13T00:00:00.000Z' },
    { ...doneRecord(14), attempt: 123456789012345, task: 0 },
  );
  const bare: Partial<TaskRecord> = { ...doneRecord(15) };
  delete bare.source;
  out.push(bare as TaskRecord);
  return out;
}

t.test('records the writers write are read in place, with the keys JSON.parse gives', async (t) => {
  const a = new ResultShapes();
  const b = new ResultShapes();
  for (const r of writtenRecords()) {
    const line = recordLine(r);
    const scanned = scannedKeys(line, a);
    t.ok(scanned, `read in place: ${line.slice(0, 80)}`);
    t.same(scanned, parsedKeys(line, b), line.slice(0, 80));
  }
  t.same(a.shapes, b.shapes, 'the same shapes, interned in the same order');
});

t.test('lines in another form agree with JSON.parse or are left to it', async (t) => {
  const r = JSON.stringify(doneRecord(3));
  const cases: Array<[string, 'scan' | 'parse']> = [
    [r, 'scan'],
    ['{"task":5,"attempt":1,"status":"failed","reason":"exit code 1","start":"","end":"x","result":null,"source":"controller"}', 'scan'],
    ['{"task":5,"attempt":1,"status":"done","start":"2025-01-01T00:00:00.000Z","end":"2025-01-01T00:00:01.000Z","result":{},"extra":1}', 'scan'],
    // keys in another order, fields holding objects, a source before the result: JSON.parse reads them
    ['{"status":"done","result":{"x":1},"end":"2025-01-01T00:00:01.000Z","attempt":2,"task":5}', 'parse'],
    [r.replace('"host":', '"extra":{"a":1},"host":'), 'parse'],
    [r.replace('"reason":null,', '').replace('"source":"wrapper"', '"source":"wrapper","reason":null'), 'scan'],
    [r.replace(',"source":"wrapper"', '').replace('"reason":null,', '"reason":null,"source":"wrapper",'), 'parse'],
    // whitespace, escapes in keys or in the ranked values, numbers not in plain form: JSON.parse decides
    [JSON.stringify(doneRecord(3), null, 1).replaceAll('\n', ''), 'parse'],
    [` ${r}`, 'parse'],
    [`${r} `, 'parse'],
    [`${r}\r`, 'parse'],
    [r.replace('"task"', '"t\\u0061sk"'), 'parse'],
    [r.replace('"status":"done"', '"status":"d\\u006fne"'), 'parse'],
    [r.replace('"source":"wrapper"', '"source":"wr\\u0061pper"'), 'parse'],
    [r.replace('"task":3', '"task":3.0'), 'parse'],
    [r.replace('"task":3', '"task":3e0'), 'parse'],
    [r.replace('"task":3', '"task":-0'), 'parse'],
    [r.replace('"attempt":1', '"attempt":1.0'), 'parse'],
    [r.replace('"attempt":1', '"attempt":1e0'), 'parse'],
    [r.replace('"r0":', '"r\\u0030":'), 'parse'],
    [r.replace('"task":3', '"task":3,"task":4'), 'parse'],
    [r.replace('"host":', '"extra":[1],"host":'), 'parse'],
    [r.replace('"result":{', '"result":{"deep":{"a":1},'), 'parse'],
    // a result's NaN or ±Infinity as records/line.ts tags them is read in place; other objects, however near, by JSON.parse
    [r.replace('"result":{', '"result":{"n":{"$numberDouble":"NaN"},"i":{"$numberDouble":"-Infinity"},'), 'scan'],
    [r.replace('"result":{', '"result":{"n":{"$numberDouble":"nan"},'), 'parse'],
    [r.replace('"result":{', '"result":{"n":{"$numberDouble":"1.5"},'), 'parse'],
    [r.replace('"result":{', '"result":{"n":{"$numberDouble":NaN},'), 'parse'],
    [r.replace('"result":{', '"result":{"n":{"$numberDouble":"NaN","x":1},'), 'parse'],
    [r.replace(/"end":"[^"]*"/, '"end":null'), 'parse'],
    [r.replace(/"start":"[^"]*","end":"[^"]*",/, ''), 'parse'],
    // a result JSON.parse enumerates in another order (an array-index key) or with a key once (a key twice): its shape is JSON.parse's
    [r.replace('"r0":', '"0":'), 'scan'],
    [r.replace('"r1":', '"r0":'), 'scan'],
    [r.replace(/"start":"[^"]*"/, '"start":12'), 'parse'],
    // not records, or not JSON: left to JSON.parse, which finds them bad
    [r.replace('"attempt":1', '"attempt":0'), 'parse'],
    [r.replace('"task":3', '"task":-3'), 'parse'],
    [r.replace('"task":3', '"task":03'), 'parse'],
    [r.replace('"status":"done"', '"status":"running"'), 'parse'],
    [r.replace('"source":"wrapper"', '"source":"someone"'), 'parse'],
    [r.replace('"source":"wrapper"', '"source":null'), 'parse'],
    [r.replace(/"result":\{[^}]*\}/, '"result":[1,2]'), 'parse'],
    [r.replace(/"result":\{[^}]*\}/, '"result":"x"'), 'parse'],
    [r.replace('"task":3,', ''), 'parse'],
    [r.replace(/,"status":"done"/, ''), 'parse'],
    [r.slice(0, -1), 'parse'],
    [r.slice(0, 120), 'parse'],
    [r + '}', 'parse'],
    [r.replace('"host":"', '"host":"\t'), 'parse'],
    [r.replace('"host":"', '"host":"\\x'), 'parse'],
    [r.replace('"host":"', '"host":"\\u12'), 'parse'],
    [r.replace('"duration_s":', '"duration_s":+'), 'parse'],
    [r.replace('"duration_s":', '"duration_s":.'), 'parse'],
    [r.replace('"exit_code":0', '"exit_code":1.'), 'parse'],
    [r.replace('"exit_code":0', '"exit_code":1e'), 'parse'],
    [r.replace('"exit_code":0', '"exit_code":nul'), 'parse'],
    [r.replace('"exit_code":0', '"exit_code":True'), 'parse'],
    [r.replace(',"host"', ',,"host"'), 'parse'],
    ['{}', 'parse'],
    ['', 'parse'],
    ['not json', 'parse'],
  ];
  for (const [line, how] of cases) {
    const a = new ResultShapes();
    const b = new ResultShapes();
    const scanned = scannedKeys(line, a);
    t.equal(scanned !== undefined, how === 'scan', `${how}: ${line.slice(0, 100)}`);
    if (scanned !== undefined) t.same(scanned, parsedKeys(line, b), line.slice(0, 100));
  }
});

t.test('a line read in place is always a record JSON.parse reads with the same keys (mutated lines)', async (t) => {
  const lines = writtenRecords().map((r) => recordLine(r));
  const alphabet = ['"', '\\', ',', ':', '{', '}', '[', ' ', '0', '1', '.', 'e', '-', 'n', 'u', 'x'];
  let s = 12345;
  const next = (n: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  let scanned = 0;
  for (let k = 0; k < 20_000; k++) {
    let line = lines[next(lines.length)];
    for (let m = 1 + next(2); m > 0; m--) {
      const at = next(line.length);
      const op = next(3);
      const ch = alphabet[next(alphabet.length)];
      line = op === 0 ? line.slice(0, at) + line.slice(at + 1) : op === 1 ? line.slice(0, at) + ch + line.slice(at) : line.slice(0, at) + ch + line.slice(at + 1);
    }
    const a = new ResultShapes();
    const b = new ResultShapes();
    const got = scannedKeys(line, a);
    if (got === undefined) continue;
    scanned++;
    const want = parsedKeys(line, b);
    const same = want !== undefined && (Object.keys(want) as Array<keyof RecordKeys>).every((k) => Object.is(got[k], want[k]));
    if (!same || JSON.stringify(a.shapes) !== JSON.stringify(b.shapes)) {
      t.fail(`disagrees with JSON.parse: ${line}`);
      return;
    }
  }
  t.ok(scanned > 1000, `${scanned} mutated lines were read in place, all as JSON.parse reads them`);
});

t.test('result shapes: a value read in place has the class of the number JSON.parse makes of it', async (t) => {
  const texts = [
    '0', '-0', '7', '-12', '123456789012345', '1234567890123456', '9007199254740993', '1.0', '-2.50', '0.1', '0.5', '-0.8999',
    '0.99999999999999999999', '0.00000000000000000001', '999.000000000001', '999.9999999999999', '0.000000000001', '0.999999999999',
    '4503599627370495.5', '123456789012345.9', '1e21', '1e+21', '1.5e+300', '1e-7', '-2.5e-99', '1E-7', '1e-400', '5e-324', '1e2',
    '1e20', '"x"', '""', '"a\\"b"', 'true', 'false', 'null',
    // a non-finite value as records/line.ts tags it (and texts near it, which are strings or objects JSON.parse reads)
    '{"$numberDouble":"NaN"}', '{"$numberDouble":"Infinity"}', '{"$numberDouble":"-Infinity"}', '"{\\"$numberDouble\\":\\"NaN\\"}"',
  ];
  let s = 99;
  const pick = (): string => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return texts[s % texts.length];
  };
  const a = new ResultShapes();
  const b = new ResultShapes();
  const head = '{"task":1,"attempt":1,"status":"done","start":"2025-01-01T00:00:00.000Z","end":"2025-01-01T00:00:01.000Z","result":';
  for (let i = 0; i < 3000; i++) {
    // mostly one key set, so the pattern of the last shape is tried on every value text
    const keys = i % 10 === 0 ? ['p', 'q'] : ['x', 'y', 'z'];
    const line = `${head}{${keys.map((k) => `"${k}":${pick()}`).join(',')}}}`;
    const got = scannedKeys(line, a);
    const want = parsedKeys(line, b);
    if (got === undefined || want === undefined || a.shapes[got.shape] === undefined || JSON.stringify(a.shapes[got.shape]) !== JSON.stringify(b.shapes[want.shape])) {
      t.fail(`shape differs: ${line}`);
      return;
    }
  }
  t.pass('3000 results, each of the shape JSON.parse gives');
});
