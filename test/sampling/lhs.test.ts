import t from 'tap';
import type { ParamSpec } from '../../src/config/types.js';
import { DataError } from '../../src/errors.js';
import type { Key } from '../../src/sampling/hash.js';
import { Permutation, blockKey, lhsBlock, lhsColumns } from '../../src/sampling/lhs.js';
import { type Layout, layoutOf, pointsOf } from '../../src/sampling/map.js';

const lhsPoints = (layout: Layout, seed: number, samples: number, start: number, end: number) =>
  pointsOf({ layout, count: end - start, columns: lhsColumns(layout, seed, samples, start, end) });
const lhsBlockPoints = (layout: Layout, key: Key, n: number) => pointsOf({ layout, count: n, columns: lhsBlock(layout, key, n) });

function unitParams(d: number): Record<string, ParamSpec> {
  const p: Record<string, ParamSpec> = {};
  for (let j = 0; j < d; j++) p[`u${j}`] = { kind: 'uniform', low: 0, high: 1 };
  return p;
}

/** Every dimension of a [0,1) design has exactly one point in each of the n strata. */
function strataOk(points: Array<Record<string, unknown>>, names: string[]): string | null {
  const n = points.length;
  for (const name of names) {
    const hit = new Uint8Array(n);
    for (const p of points) {
      const s = Math.floor((p[name] as number) * n);
      if (s < 0 || s >= n || hit[s]) return `${name}: stratum ${s} twice or out of range (n=${n})`;
      hit[s] = 1;
    }
  }
  return null;
}

t.test('the permutation is a bijection of [0, n)', async (t) => {
  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 1023, 1024, 1025, 65537]) {
    const p = new Permutation(blockKey(3, 0, n), 1, n);
    const seen = new Uint8Array(n);
    let ok = true;
    for (let i = 0; i < n; i++) {
      const y = p.at(i);
      if (!(y >= 0 && y < n) || seen[y]) ok = false;
      else seen[y] = 1;
    }
    t.ok(ok, `n=${n}`);
  }
  // Not the identity, and different per dimension.
  const a = new Permutation(blockKey(3, 0, 1000), 0, 1000);
  const b = new Permutation(blockKey(3, 0, 1000), 1, 1000);
  let fixed = 0;
  let same = 0;
  for (let i = 0; i < 1000; i++) {
    if (a.at(i) === i) fixed++;
    if (a.at(i) === b.at(i)) same++;
  }
  t.ok(fixed < 10 && same < 10, `fixed points ${fixed}, shared images ${same}`);
});

t.test('one point per stratum in every dimension', async (t) => {
  for (const [n, d] of [
    [1, 1],
    [2, 3],
    [7, 2],
    [10, 5],
    [64, 8],
    [1000, 3],
    [4097, 12],
  ]) {
    const params = unitParams(d);
    const pts = lhsPoints(layoutOf(params), 5, n, 0, n);
    t.equal(pts.length, n);
    t.equal(strataOk(pts, Object.keys(params)), null, `n=${n} d=${d}`);
  }
});

t.test('discrete dimensions: levels balanced by strata', async (t) => {
  const params: Record<string, ParamSpec> = {
    i: { kind: 'int', low: 1, high: 5 },
    v: { kind: 'values', values: ['a', 'b', 'c', 'd'] },
    c: { kind: 'const', value: 0 },
    b: { kind: 'values', values: [true, false] },
  };
  for (const n of [20, 40, 100, 7, 13, 3]) {
    for (const seed of [1, 2, 3]) {
      const pts = lhsPoints(layoutOf(params), seed, n, 0, n);
      for (const [name, k] of [['i', 5], ['v', 4], ['b', 2]] as const) {
        const counts = new Map<unknown, number>();
        for (const p of pts) counts.set(p[name], (counts.get(p[name]) ?? 0) + 1);
        const c = [...counts.values()];
        if (n % k === 0) {
          t.ok(counts.size === k && c.every((x) => x === n / k), `n=${n} ${name}: exactly n/k each ${JSON.stringify([...counts])}`);
        } else {
          t.ok(c.every((x) => Math.abs(x - n / k) < 2), `n=${n} ${name}: within 2 of n/k ${JSON.stringify([...counts])}`);
        }
      }
    }
  }
  // k > n: every point lands on a level its stratum overlaps, i.e. one per stratum of the int range.
  const wide = lhsPoints(layoutOf({ w: { kind: 'int', low: 0, high: 999 } }), 4, 10, 0, 10);
  const strata = new Set(wide.map((p) => Math.floor((p.w as number) / 100)));
  t.equal(strata.size, 10);
});

t.test('deterministic; seeds and blocks differ', async (t) => {
  const layout = layoutOf(unitParams(4));
  const a = lhsPoints(layout, 11, 50, 0, 50);
  t.same(a, lhsPoints(layout, 11, 50, 0, 50));
  t.equal(JSON.stringify(a), JSON.stringify(lhsPoints(layout, 11, 50, 0, 50)));
  t.not(JSON.stringify(a), JSON.stringify(lhsPoints(layout, 12, 50, 0, 50)));
  t.not(JSON.stringify(lhsBlockPoints(layout, blockKey(11, 0, 50), 50)), JSON.stringify(lhsBlockPoints(layout, blockKey(11, 50, 50), 50)));
});

t.test('slices of the base hypercube; extension batches are hypercubes themselves', async (t) => {
  const params = unitParams(3);
  const layout = layoutOf(params);
  const names = Object.keys(params);
  const base = lhsPoints(layout, 9, 100, 0, 100);
  t.same(lhsPoints(layout, 9, 100, 30, 70), base.slice(30, 70));
  // Extend 100 -> 160 -> 400.
  const ext1 = lhsPoints(layout, 9, 100, 100, 160);
  const ext2 = lhsPoints(layout, 9, 100, 160, 400);
  t.equal(strataOk(ext1, names), null, 'first extension batch is a 60-point LHS');
  t.equal(strataOk(ext2, names), null, 'second extension batch is a 240-point LHS');
  t.same(lhsPoints(layout, 9, 100, 100, 160), ext1, 'an extension is reproducible');
  // A request straddling the base end: base tail + a fresh block for the rest.
  const straddle = lhsPoints(layout, 9, 100, 90, 160);
  t.same(straddle.slice(0, 10), base.slice(90));
  t.same(straddle.slice(10), ext1);
  // Without a base (samples 0) a range is its own hypercube.
  t.equal(strataOk(lhsPoints(layout, 9, 0, 0, 37), names), null);
});

t.test('zero dimensions and limits', async (t) => {
  t.same(lhsPoints(layoutOf({ k: { kind: 'const', value: 'z' } }), 1, 3, 0, 3), [{ k: 'z' }, { k: 'z' }, { k: 'z' }]);
  t.throws(() => lhsBlock(layoutOf(unitParams(1)), blockKey(1, 0, 2 ** 33), 2 ** 33, 0, 1), DataError);
  // A slice of a huge hypercube costs only its own length.
  const far = lhsPoints(layoutOf(unitParams(2)), 1, 2 ** 32, 2 ** 32 - 3, 2 ** 32);
  t.equal(far.length, 3);
});
