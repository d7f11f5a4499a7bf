// parseJsonNonFinite / stringifyJsonNonFinite: JSON with Python's NaN, Infinity and -Infinity tokens, and nothing else JSON.parse refuses.
import t from 'tap';
import { JsonOverflowError, parseJsonNonFinite, stringifyJsonNonFinite } from '../../src/util/json-nonfinite.js';

const read = (text: string) => parseJsonNonFinite(text);

t.test("Python's json.dumps text: the three tokens are the numbers, anywhere a value stands", async (t) => {
  // python3 -c 'import json; print(json.dumps({"y": float("nan"), "z": float("inf"), "w": -float("inf"), "a": [1.5, float("nan")], "o": {"m": float("-inf")}}))'
  const p = read('{"y": NaN, "z": Infinity, "w": -Infinity, "a": [1.5, NaN], "o": {"m": -Infinity}}');
  t.equal(p.nonFinite, true);
  t.same(p.value, { y: NaN, z: Infinity, w: -Infinity, a: [1.5, NaN], o: { m: -Infinity } });
  t.ok(Object.is((p.value as { y: number }).y, NaN));
  t.same(read('[NaN,Infinity,-Infinity]').value, [NaN, Infinity, -Infinity], 'no spaces');
  t.same(read(' \n\t NaN \r\n').value, NaN, 'a bare token with whitespace around it');
  t.same(read('{"":{"":[[NaN]],"b":[]},"c":{}}').value, { '': { '': [[NaN]], b: [] }, c: {} }, 'nesting, empty containers');
});

t.test('plain JSON is what JSON.parse gives (and says so)', async (t) => {
  for (const text of ['{"y": 1}', '[1, "NaN", "Infinity", true, null, -0, 1e-7]', '"x"', '{"a": {"b": [1, {"c": "\\u00e9\\n"}]}}']) {
    t.same(read(text), { value: JSON.parse(text), nonFinite: false }, text);
  }
});

t.test('the tolerant reader reads every JSON value as JSON.parse does', async (t) => {
  const texts = [
    '{"s": "a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00", "n": [0, -0, 1.5e3, -2E-2, 12345678901234567890], "t": true, "f": false, "z": null}',
    '{"k": 1, "k": 2}',
    '{"__proto__": 5, "constructor": 6}',
    `{"deep": ${'['.repeat(200)}1${']'.repeat(200)}}`,
  ];
  for (const text of texts) {
    // a token appended makes the text need the tolerant reader
    const p = read(`[${text}, NaN]`);
    t.equal(p.nonFinite, true);
    const [v, nan] = p.value as [unknown, number];
    t.ok(Number.isNaN(nan));
    t.strictSame(v, JSON.parse(text), text.slice(0, 60));
  }
  // a loop with a stack: nesting far deeper than a recursive reader's stack takes
  const d = 100000;
  let deep = read(`${'{"a":['.repeat(d)}NaN${']}'.repeat(d)}`).value;
  for (let i = 0; i < d; i++) deep = (deep as { a: unknown[] }).a[0];
  t.ok(Number.isNaN(deep), `${d} levels deep`);
  const proto = (read('[{"__proto__": 5}, NaN]').value as Array<Record<string, unknown>>)[0];
  t.ok(Object.hasOwn(proto, '__proto__'), '__proto__ is an own key, not the prototype');
  t.equal(Object.getPrototypeOf(proto), Object.prototype);
});

t.test('strings holding the tokens stay strings', async (t) => {
  t.same(read('{"y": "NaN", "z": NaN}').value, { y: 'NaN', z: NaN });
  t.same(read('{"NaN": "-Infinity", "w": Infinity}').value, { NaN: '-Infinity', w: Infinity });
});

t.test('anything else JSON.parse refuses is still a SyntaxError saying where', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['{"y": nan}', /Unexpected token/],
    ['{"y": NaN, "z": nan}', /Unexpected token 'n' at line 1 column 17 \(position 16\)/],
    ['{"y": inf, "z": NaN}', /Unexpected token 'i' at line 1 column 7/],
    ['{"y": -NaN}', /Unexpected token '-'/],
    ['{"y": +Infinity}', /Unexpected token '\+'/],
    ['{"y": -inf, "z": NaN}', /Unexpected token '-'/],
    ['{"y": Inf}', /Unexpected token/],
    ['{"y": NaNa}', /Unexpected token 'a'/],
    ['{"y": Infinityy}', /Unexpected token 'y'/],
    ['{NaN: 1}', /Unexpected token 'N' at line 1 column 2/],
    ['{"y": NaN,}', /Unexpected token '}'/],
    ['[NaN,]', /Unexpected token ']'/],
    ["{'y': NaN}", /Unexpected token "'"|Unexpected token '''/],
    ['{"y": NaN} // comment', /Unexpected token '\/'/],
    ['{"y": 0x10, "z": NaN}', /Unexpected token 'x'/],
    ['{"y": .5, "z": NaN}', /Unexpected token '\.'/],
    ['{"y": NaN\n, "z": }', /Unexpected token '}' at line 2 column 8 \(position 17\)/],
    ['{"y": NaN', /Unexpected end of JSON input/],
    ['{"y": "NaN', /Unexpected token '"'/],
    ['NaN NaN', /Unexpected token 'N' at line 1 column 5/],
    ['{"y": nan}', /./],
    ['', /Unexpected end of JSON input/],
  ];
  for (const [text, message] of bad) t.throws(() => read(text), { name: 'SyntaxError', message }, JSON.stringify(text));
});

t.test('a number beyond the range of a double: JSON.parse gives Infinity (nonFinite false), the tolerant reader refuses it', async (t) => {
  t.same(read('{"y": 1e999}'), { value: { y: Infinity }, nonFinite: false });
  t.throws(() => read('{"y": NaN, "z": -1e999}'), new JsonOverflowError('the number -1e999 at position 16 is beyond the range of a double (about ±1.8e308)'));
});

t.test('stringifyJsonNonFinite: JSON.stringify\'s text, with the tokens for non-finite numbers', async (t) => {
  const finite = [1, -0, 1e21, 5e-324, 'a"b\u0001é', true, null, [], {}, { a: [1, { b: 'x' }], c: null }, [[[]]]];
  for (const v of finite) t.equal(stringifyJsonNonFinite(v), JSON.stringify(v), JSON.stringify(v));
  t.equal(stringifyJsonNonFinite([1, NaN, { a: Infinity, b: [-Infinity] }]), '[1,NaN,{"a":Infinity,"b":[-Infinity]}]');
  t.equal(stringifyJsonNonFinite([undefined, () => 1]), '[null,null]', 'as JSON.stringify: undefined in a list is null');
  t.equal(stringifyJsonNonFinite({ a: undefined, b: 1 }), '{"b":1}', 'and left out of an object');
  const v = { x: [NaN, 'NaN', -Infinity], y: { z: Infinity } };
  t.same(read(stringifyJsonNonFinite(v)).value, v, 'reads back');
});
