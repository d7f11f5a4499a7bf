import t from 'tap';
import { DataError } from '../../src/errors.js';
import { layoutOf, pointsOf } from '../../src/sampling/map.js';
import { SOBOL_MAX_DIM, directions, sobolColumns, sobolUnits } from '../../src/sampling/sobol.js';

function column(u: Float64Array, d: number, j: number): number[] {
  const out: number[] = [];
  for (let i = j; i < u.length; i += d) out.push(u[i]);
  return out;
}

t.test('first points match SciPy test suite (theoretical values from Joe & Kuo 2010)', async (t) => {
  // scipy/stats/tests/test_qmc.py, TestSobol.unscramble_nd and test_Unscrambled1DSobol /
  // test_Unscrambled3DSobol: qmc.Sobol(d, scramble=False).random(n).
  const u2 = sobolUnits(2, 0, 8, false, 0);
  t.same(
    Array.from({ length: 8 }, (_, i) => [u2[2 * i], u2[2 * i + 1]]),
    [[0, 0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75], [0.375, 0.375], [0.875, 0.875], [0.625, 0.125], [0.125, 0.625]],
  );
  const u3 = sobolUnits(3, 0, 10, false, 0);
  t.same(column(u3, 3, 0), [0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125, 0.1875, 0.6875]);
  t.same(column(u3, 3, 2), [0, 0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375, 0.9375, 0.4375]);
});

t.test('matches SciPy 1.17 qmc.Sobol(1111, scramble=False) in low and high dimensions', async (t) => {
  // Generated with: qmc.Sobol(1111, scramble=False).random(16)[:, dim-1] * 16
  const expected: Array<[number, number[]]> = [
    [1, [0, 8, 12, 4, 6, 14, 10, 2, 3, 11, 15, 7, 5, 13, 9, 1]],
    [2, [0, 8, 4, 12, 6, 14, 2, 10, 5, 13, 1, 9, 3, 11, 7, 15]],
    [3, [0, 8, 4, 12, 10, 2, 14, 6, 15, 7, 11, 3, 5, 13, 1, 9]],
    [4, [0, 8, 4, 12, 14, 6, 10, 2, 7, 15, 3, 11, 9, 1, 13, 5]],
    [5, [0, 8, 12, 4, 6, 14, 10, 2, 9, 1, 5, 13, 15, 7, 3, 11]],
    [6, [0, 8, 12, 4, 2, 10, 14, 6, 5, 13, 9, 1, 7, 15, 11, 3]],
    [7, [0, 8, 4, 12, 6, 14, 2, 10, 7, 15, 3, 11, 1, 9, 5, 13]],
    [8, [0, 8, 12, 4, 14, 6, 2, 10, 15, 7, 3, 11, 1, 9, 13, 5]],
    [9, [0, 8, 12, 4, 14, 6, 2, 10, 15, 7, 3, 11, 1, 9, 13, 5]],
    [10, [0, 8, 12, 4, 10, 2, 6, 14, 5, 13, 9, 1, 15, 7, 3, 11]],
    [100, [0, 8, 12, 4, 14, 6, 2, 10, 15, 7, 3, 11, 1, 9, 13, 5]],
    [500, [0, 8, 4, 12, 10, 2, 14, 6, 7, 15, 3, 11, 13, 5, 9, 1]],
    [1111, [0, 8, 12, 4, 14, 6, 2, 10, 5, 13, 9, 1, 11, 3, 7, 15]],
  ];
  const u = sobolUnits(1111, 0, 16, false, 0);
  for (const [dim, col] of expected) {
    t.same(column(u, 1111, dim - 1).map((x) => x * 16), col, `dimension ${dim}`);
  }
  // e = qmc.Sobol(5, scramble=False); e.fast_forward(1000000); e.random(3) * 2**30
  const far = sobolUnits(5, 1000000, 1000003, false, 0);
  t.same(
    Array.from(far, (x) => x * 2 ** 30),
    [
      28427264, 334920704, 889054208, 717523968, 675017728, 565298176, 871791616, 352183296, 180653056, 138146816,
      833733632, 66485248, 620618752, 985959424, 406582272,
    ],
  );
});

t.test('direction numbers of dimension 1 are the van der Corput ones', async (t) => {
  const v = directions(0);
  t.equal(v[0], 2 ** 31);
  t.equal(v[31], 1);
  // Dimension 2 (s=1, a=0, m=1): V_k = V_{k-1} ^ (V_{k-1} >> 1).
  const w = directions(1);
  t.same(Array.from(w.slice(0, 3)), [2 ** 31, 2 ** 31 + 2 ** 30, 2 ** 31 + 2 ** 29]);
});

t.test('a range equals the slice of a longer run', async (t) => {
  const all = sobolUnits(4, 0, 300, false, 0);
  t.same(Array.from(sobolUnits(4, 123, 200, false, 0)), Array.from(all.slice(123 * 4, 200 * 4)));
  const sall = sobolUnits(4, 0, 300, true, 9);
  t.same(Array.from(sobolUnits(4, 77, 300, true, 9)), Array.from(sall.slice(77 * 4)));
});

t.test('scramble is a seeded digital shift that keeps the net property', async (t) => {
  const a = sobolUnits(6, 0, 256, true, 1);
  t.same(Array.from(a), Array.from(sobolUnits(6, 0, 256, true, 1)), 'deterministic');
  t.not(Array.from(a).join(), Array.from(sobolUnits(6, 0, 256, true, 2)).join(), 'seed matters');
  t.not(a[0], 0, 'origin moved');
  // The first 2^m points of each coordinate hit every interval [k/2^m, (k+1)/2^m) exactly once,
  // before and after the XOR shift.
  for (const scramble of [false, true]) {
    const u = sobolUnits(6, 0, 256, scramble, 1);
    for (let j = 0; j < 6; j++) {
      const cells = new Set(column(u, 6, j).map((x) => Math.floor(x * 256)));
      t.equal(cells.size, 256, `dim ${j} scramble=${scramble}`);
    }
  }
  for (const x of a) t.ok(x >= 0 && x < 1);
});

t.test('limits', async (t) => {
  t.throws(() => sobolUnits(SOBOL_MAX_DIM + 1, 0, 1, false, 0), DataError);
  t.throws(() => sobolUnits(1, 2 ** 32 - 1, 2 ** 32 + 1, false, 0), DataError);
  const last = sobolUnits(1, 2 ** 32 - 2, 2 ** 32, false, 0);
  t.equal(last.length, 2);
  t.ok(last[1] > 0 && last[1] < 1);
  t.equal(SOBOL_MAX_DIM, 1111);
});

t.test('sobolColumns maps into the domains', async (t) => {
  const layout = layoutOf({
    x: { kind: 'uniform', low: -1, high: 1 },
    c: { kind: 'const', value: 'k' },
    n: { kind: 'int', low: 1, high: 4 },
    s: { kind: 'values', values: ['a', 'b'] },
  });
  const pts = pointsOf({ layout, count: 4, columns: sobolColumns(layout, 0, false, 0, 4) });
  t.same(pts, [
    { x: -1, c: 'k', n: 1, s: 'a' },
    { x: 0, c: 'k', n: 3, s: 'b' },
    { x: 0.5, c: 'k', n: 2, s: 'a' },
    { x: -0.5, c: 'k', n: 4, s: 'b' },
  ]);
});
