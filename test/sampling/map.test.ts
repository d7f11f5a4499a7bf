import t from 'tap';
import { DataError } from '../../src/errors.js';
import { layoutOf, mapUnit } from '../../src/sampling/map.js';

t.test('layout: dims in key order, const parameters take no dimension', async (t) => {
  const layout = layoutOf({
    b: { kind: 'uniform', low: 0, high: 1 },
    k: { kind: 'const', value: 3 },
    a: { kind: 'values', values: ['x', 'y'] },
  });
  t.same(layout.dims.map((d) => d.name), ['b', 'a']);
  const p = layout.point([0.25, 'y']);
  t.same(p, { b: 0.25, k: 3, a: 'y' });
  t.same(Object.keys(p), ['b', 'k', 'a']);
  t.not(layout.point([0.25, 'y']), p, 'a fresh object each time');
});

t.test('layout: names that need quoting are fine; __proto__ is refused', async (t) => {
  const layout = layoutOf({ 'a b': { kind: 'const', value: 1 }, 'q"\\': { kind: 'int', low: 0, high: 1 } });
  t.same(layout.point([1]), { 'a b': 1, 'q"\\': 1 });
  t.throws(() => layoutOf(JSON.parse('{"__proto__": {"kind": "const", "value": 1}}')), DataError);
});

t.test('domain checks', async (t) => {
  t.throws(() => layoutOf({ x: { kind: 'uniform', low: 2, high: 1 } }), DataError);
  t.throws(() => layoutOf({ x: { kind: 'loguniform', low: 0, high: 1 } }), /low > 0/);
  t.throws(() => layoutOf({ x: { kind: 'int', low: 0.5, high: 1 } }), DataError);
  t.throws(() => layoutOf({ x: { kind: 'values', values: [] } }), DataError);
  t.throws(() => layoutOf({ x: { kind: 'uniform', low: 0, high: 1, levels: 0 } }), DataError);
});

t.test('mapping u -> value', async (t) => {
  t.equal(mapUnit({ kind: 'uniform', low: 2, high: 4 }, 0), 2);
  t.equal(mapUnit({ kind: 'uniform', low: 2, high: 4 }, 0.5), 3);
  t.ok((mapUnit({ kind: 'uniform', low: 2, high: 4 }, 1 - 2 ** -53) as number) <= 4);
  t.equal(mapUnit({ kind: 'loguniform', low: 1, high: 100 }, 0), 1);
  t.ok(Math.abs((mapUnit({ kind: 'loguniform', low: 1, high: 100 }, 0.5) as number) - 10) < 1e-12);
  t.ok((mapUnit({ kind: 'loguniform', low: 1e-3, high: 1e3 }, 1 - 2 ** -53) as number) <= 1e3);
  t.equal(mapUnit({ kind: 'int', low: -1, high: 1 }, 0), -1);
  t.equal(mapUnit({ kind: 'int', low: -1, high: 1 }, 0.34), 0);
  t.equal(mapUnit({ kind: 'int', low: -1, high: 1 }, 1 - 2 ** -53), 1);
  t.equal(mapUnit({ kind: 'values', values: ['a', 'b', true] }, 0.99), true);
  t.equal(mapUnit({ kind: 'values', values: ['a', 'b', true] }, 0.4), 'b');
});
