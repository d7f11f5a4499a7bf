import t from 'tap';
import { type Layout, layoutOf, pointsOf } from '../../src/sampling/map.js';
import { randomColumns } from '../../src/sampling/random.js';

const randomPoints = (layout: Layout, seed: number, start: number, end: number) =>
  pointsOf({ layout, count: end - start, columns: randomColumns(layout, seed, start, end) });

const layout = layoutOf({
  x: { kind: 'uniform', low: -5, high: 5 },
  k: { kind: 'const', value: true },
  n: { kind: 'int', low: 0, high: 9 },
  s: { kind: 'values', values: ['a', 'b', 'c'] },
  l: { kind: 'loguniform', low: 1e-6, high: 1 },
});

t.test('deterministic and seed-dependent', async (t) => {
  const a = randomPoints(layout, 42, 0, 200);
  const b = randomPoints(layout, 42, 0, 200);
  t.same(a, b);
  t.equal(JSON.stringify(a), JSON.stringify(b));
  const c = randomPoints(layout, 43, 0, 200);
  t.not(JSON.stringify(a), JSON.stringify(c));
  t.ok(a.filter((p, i) => p.x === c[i].x).length === 0, 'no continuous value shared between seeds');
});

t.test('a range equals the slice of a longer run', async (t) => {
  const all = randomPoints(layout, 7, 0, 1000);
  t.same(randomPoints(layout, 7, 400, 650), all.slice(400, 650));
  t.same(randomPoints(layout, 7, 999, 1000), all.slice(999));
  // Far-away indices (beyond 2^32) work and differ from the low ones.
  const far = randomPoints(layout, 7, 2 ** 32 + 10, 2 ** 32 + 12);
  t.equal(far.length, 2);
  t.not(far[0].x, all[10].x);
});

t.test('values stay in their domains and cover them', async (t) => {
  const pts = randomPoints(layout, 1, 0, 3000);
  const ns = new Set<unknown>();
  const ss = new Set<unknown>();
  let bad = 0;
  for (const p of pts) {
    const x = p.x as number;
    const l = p.l as number;
    if (!(x >= -5 && x <= 5 && l >= 1e-6 && l <= 1 && p.k === true)) bad++;
    ns.add(p.n);
    ss.add(p.s);
  }
  t.equal(bad, 0);
  t.same([...ns].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.same([...ss].sort(), ['a', 'b', 'c']);
  const mean = pts.reduce((s, p) => s + (p.x as number), 0) / pts.length;
  t.ok(Math.abs(mean) < 0.3, `mean of x ${mean}`);
  // loguniform: about half of the points below the geometric midpoint 1e-3.
  const below = pts.filter((p) => (p.l as number) < 1e-3).length / pts.length;
  t.ok(Math.abs(below - 0.5) < 0.05, `fraction below 1e-3: ${below}`);
});
