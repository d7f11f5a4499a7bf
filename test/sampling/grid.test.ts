import t from 'tap';
import { DataError } from '../../src/errors.js';
import { gridAxis, gridColumns, gridSize } from '../../src/sampling/grid.js';
import { type Layout, layoutOf, pointsOf } from '../../src/sampling/map.js';

const gridPoints = (layout: Layout, start: number, end: number) =>
  pointsOf({ layout, count: Math.max(0, Math.min(end, gridSize(layout.dims)) - start), columns: gridColumns(layout, start, end) });

t.test('cartesian product, last parameter fastest (itertools.product order)', async (t) => {
  const layout = layoutOf({
    a: { kind: 'values', values: [1, 2] },
    c: { kind: 'const', value: 'k' },
    b: { kind: 'values', values: ['x', 'y', 'z'] },
  });
  t.equal(gridSize(layout.dims), 6);
  t.same(gridPoints(layout, 0, Infinity), [
    { a: 1, c: 'k', b: 'x' },
    { a: 1, c: 'k', b: 'y' },
    { a: 1, c: 'k', b: 'z' },
    { a: 2, c: 'k', b: 'x' },
    { a: 2, c: 'k', b: 'y' },
    { a: 2, c: 'k', b: 'z' },
  ]);
});

t.test('axes: int, uniform and loguniform levels', async (t) => {
  t.same(gridAxis({ name: 'n', spec: { kind: 'int', low: -2, high: 2 } }), [-2, -1, 0, 1, 2]);
  t.same(gridAxis({ name: 'x', spec: { kind: 'uniform', low: 0, high: 1, levels: 5 } }), [0, 0.25, 0.5, 0.75, 1]);
  t.same(gridAxis({ name: 'x', spec: { kind: 'uniform', low: 0.1, high: 0.7, levels: 1 } }), [0.1]);
  const lg = gridAxis({ name: 'x', spec: { kind: 'loguniform', low: 1e-3, high: 10, levels: 5 } }) as number[];
  t.equal(lg[0], 1e-3);
  t.equal(lg[4], 10, 'ends exact');
  for (const [i, v] of [1e-2, 1e-1, 1].entries()) t.ok(Math.abs(lg[i + 1] / v - 1) < 1e-12, `level ${i + 1}`);
  const u = gridAxis({ name: 'x', spec: { kind: 'uniform', low: 0.1, high: 0.3, levels: 3 } });
  t.equal(u[2], 0.3, 'upper end exact despite rounding');
});

t.test('continuous parameter without levels is an error naming it', async (t) => {
  const layout = layoutOf({ alpha: { kind: 'uniform', low: 0, high: 1 } });
  t.throws(() => gridSize(layout.dims), { name: 'DataError', message: /"alpha".*levels/ });
  t.throws(() => gridPoints(layout, 0, 1), DataError);
});

t.test('any slice equals the slice of the full product; size and empty product', async (t) => {
  const layout = layoutOf({
    a: { kind: 'int', low: 0, high: 3 },
    b: { kind: 'values', values: [true, false, 'm'] },
    c: { kind: 'uniform', low: 0, high: 1, levels: 5 },
  });
  t.equal(gridSize(layout.dims), 60);
  const all = gridPoints(layout, 0, 60);
  t.equal(all.length, 60);
  t.equal(new Set(all.map((p) => JSON.stringify(p))).size, 60);
  t.same(gridPoints(layout, 17, 44), all.slice(17, 44));
  t.same(gridPoints(layout, 50, 100), all.slice(50), 'clipped at the end');
  t.same(gridPoints(layout, 60, 70), []);
  const none = layoutOf({ k: { kind: 'const', value: 1 } });
  t.equal(gridSize(none.dims), 1);
  t.same(gridPoints(none, 0, 5), [{ k: 1 }]);
});
