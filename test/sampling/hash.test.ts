import t from 'tap';
import { DataError } from '../../src/errors.js';
import { Stream, bits32, keyOf, prefix, subKey, taskSeed, taskSeeds, unit, unitAt } from '../../src/sampling/hash.js';

t.test('golden values: the determinism contract (change only on purpose, with a note in docs)', async (t) => {
  const k = keyOf(42, Stream.random);
  t.same(
    [unit(k, 0, 0), unit(k, 1, 0), unit(k, 0, 1), unit(k, 2 ** 40 + 3, 7)],
    [0.21964639784731932, 0.39403404311213996, 0.5208316266123484, 0.10744148635644035],
  );
  t.same([0, 1, 2, 3, 1e6].map((i) => taskSeed(42, i)), [708472059, 128848305, 1894840079, 1991559136, 1880111681]);
  t.equal(taskSeed(-5, 3), 1331308813);
  t.equal(taskSeed(2 ** 53 - 1, 2 ** 40), 1532940208);
});

t.test('unit is in [0, 1), uses 53 bits and looks uniform', async (t) => {
  const k = keyOf(1, Stream.random);
  const bins = new Array<number>(16).fill(0);
  let odd = 0;
  let outside = 0;
  const n = 160000;
  for (let i = 0; i < n; i++) {
    const u = unit(k, i, 3);
    if (!(u >= 0 && u < 1)) outside++;
    bins[Math.floor(u * 16)]++;
    if ((u * 2 ** 53) % 2 === 1) odd++;
  }
  t.equal(outside, 0);
  // Chi-square with 15 degrees of freedom: 99.99th percentile is about 44.
  const chi = bins.reduce((s, b) => s + (b - n / 16) ** 2 / (n / 16), 0);
  t.ok(chi < 44, `chi-square ${chi}`);
  t.ok(Math.abs(odd / n - 0.5) < 0.01, 'lowest of the 53 bits is random too');
});

t.test('prefix + unitAt is unit, hoisted', async (t) => {
  const k = keyOf(9, Stream.lhsJitter);
  for (const j of [0, 1, 17]) {
    const p = prefix(k, j, 0);
    for (const i of [0, 1, 2, 1000, 2 ** 32 - 1]) t.equal(unitAt(p, i), unit(k, i, j));
    t.equal(unitAt(prefix(k, j, 1), 5), unit(k, 2 ** 32 + 5, j));
  }
});

t.test('keys differ by seed, stream and sub-key word', async (t) => {
  const seen = new Set<string>();
  for (const seed of [0, 1, -1, 2 ** 32, 2 ** 53 - 1]) {
    for (const s of Object.values(Stream)) {
      const k = keyOf(seed, s);
      seen.add(`${k.a}:${k.b}`);
      for (const x of [0, 1, 2 ** 40]) {
        const sk = subKey(k, 1, x);
        seen.add(`${sk.a}:${sk.b}`);
      }
    }
  }
  t.equal(seen.size, 5 * Object.keys(Stream).length * 4);
  t.not(bits32(keyOf(1, 1), 0, 0), bits32(keyOf(2, 1), 0, 0));
});

t.test('taskSeed: distinct for 10^5 task ids, 31-bit, seed-dependent', async (t) => {
  const seen = new Set<number>();
  for (let id = 0; id < 100000; id++) {
    const s = taskSeed(42, id);
    if (!(Number.isInteger(s) && s >= 0 && s < 2 ** 31)) t.fail(`taskSeed(42, ${id}) = ${s}`);
    seen.add(s);
  }
  t.equal(seen.size, 100000);
  let same = 0;
  for (let id = 0; id < 1000; id++) if (taskSeed(1, id) === taskSeed(2, id)) same++;
  t.ok(same <= 1, 'another seed gives other task seeds');
  // Consecutive ids are not near each other (well mixed).
  t.ok(Math.abs(taskSeed(42, 0) - taskSeed(42, 1)) > 1000);
  t.throws(() => taskSeed(1.5, 0), DataError);
  t.throws(() => taskSeed(1, -1), DataError);
});

t.test('taskSeeds is taskSeed of each id, across the 2^31 key boundary too', async (t) => {
  t.same([...taskSeeds(42, 0, 5)], [0, 1, 2, 3, 4].map((i) => taskSeed(42, i)));
  const start = 2 ** 31 - 2;
  t.same([...taskSeeds(7, start, 4)], [0, 1, 2, 3].map((i) => taskSeed(7, start + i)));
  t.equal(taskSeeds(7, 3, 0).length, 0);
  t.throws(() => taskSeeds(7, -1, 2), { name: 'DataError' });
  t.throws(() => taskSeeds(7, 2 ** 53 - 2, 3), { name: 'DataError', message: /got 9007199254740992/ });
});
