import t from 'tap';
import type { ParamSpec, SamplingSpec } from '../../src/config/types.js';
import { designSize, samplePoints, taskSeed } from '../../src/sampling/index.js';

const P: Record<string, ParamSpec> = {
  a: { kind: 'uniform', low: 0, high: 1 },
  b: { kind: 'int', low: 1, high: 6 },
  c: { kind: 'values', values: ['x', 'y', 'z'] },
};

const GOLDEN_LHS =
  '[{"a":0.892348097426863,"b":4,"c":"z"},{"a":0.19064376382529594,"b":2,"c":"y"},{"a":0.37539042645425463,"b":6,"c":"x"}]';

t.test('golden output per method (the cross-machine contract)', async (t) => {
  const s = (method: SamplingSpec['method']) =>
    JSON.stringify(samplePoints(P, { method, samples: 3, seed: 7, scramble: true }));
  t.equal(
    s('random'),
    '[{"a":0.3104416522178335,"b":6,"c":"x"},{"a":0.5482750109578427,"b":6,"c":"y"},{"a":0.13704005559519983,"b":3,"c":"y"}]',
  );
  t.equal(
    s('sobol'),
    '[{"a":0.22244649324729449,"b":3,"c":"z"},{"a":0.7224464932472945,"b":6,"c":"y"},{"a":0.9724464932472945,"b":2,"c":"z"}]',
  );
  t.equal(s('lhs'), GOLDEN_LHS);
  t.equal(taskSeed(42, 0), 708472059);
});

t.test('same inputs give identical output; seeds matter', async (t) => {
  const params: Record<string, ParamSpec> = {
    ...P,
    k: { kind: 'const', value: 'kept' },
    l: { kind: 'loguniform', low: 1e-4, high: 10 },
  };
  for (const method of ['random', 'lhs', 'sobol'] as const) {
    const spec: SamplingSpec = { method, samples: 64, seed: 123, scramble: true };
    const a = samplePoints(params, spec);
    const b = samplePoints(params, { ...spec });
    t.equal(a.length, 64);
    t.same(a, b, method);
    t.equal(JSON.stringify(a), JSON.stringify(b), `${method} byte-identical`);
    t.same(Object.keys(a[0]), ['a', 'b', 'c', 'k', 'l'], 'parameter order');
    t.not(JSON.stringify(a), JSON.stringify(samplePoints(params, { ...spec, seed: 124 })), `${method}: seed matters`);
  }
  // Unscrambled Sobol' is the plain sequence: the seed plays no part.
  const plain: SamplingSpec = { method: 'sobol', samples: 8, seed: 1 };
  t.same(samplePoints(P, plain), samplePoints(P, { ...plain, seed: 2 }));
  t.same(samplePoints(P, plain)[0], { a: 0, b: 1, c: 'x' });
});

t.test('range selects a slice of the (replicated) sequence', async (t) => {
  for (const method of ['random', 'sobol', 'grid'] as const) {
    const spec: SamplingSpec = { method, samples: 50, seed: 3, replicates: 3 };
    const params: Record<string, ParamSpec> =
      method === 'grid' ? { ...P, a: { kind: 'uniform', low: 0, high: 1, levels: 4 } } : P;
    const long = samplePoints(params, spec, { start: 0, count: 200 });
    t.equal(long.length, 200, 'grid has 72 × 3 = 216 points');
    t.same(samplePoints(params, spec, { start: 31, count: 100 }), long.slice(31, 131), method);
    t.same(samplePoints(params, spec), long.slice(0, 150), `${method}: samples caps the default`);
  }
  // LHS: inside the base design a range is a slice too.
  const lhs: SamplingSpec = { method: 'lhs', samples: 40, seed: 3, replicates: 2 };
  t.same(samplePoints(P, lhs, { start: 13, count: 40 }), samplePoints(P, lhs).slice(13, 53));
  t.equal(samplePoints(P, lhs, { start: 80, count: 20 }).length, 20, 'an extension batch');
  t.same(samplePoints(P, lhs, { start: 0, count: 0 }), []);
});

t.test('replicates repeat each point consecutively as separate objects', async (t) => {
  const pts = samplePoints(P, { method: 'random', samples: 4, seed: 1, replicates: 3 });
  t.equal(pts.length, 12);
  for (let i = 0; i < 4; i++) {
    t.same(pts[3 * i], pts[3 * i + 1]);
    t.same(pts[3 * i], pts[3 * i + 2]);
    t.not(pts[3 * i], pts[3 * i + 1]);
  }
  t.not(JSON.stringify(pts[0]), JSON.stringify(pts[3]));
});

t.test('grid: full product, capped by samples, clipped ranges', async (t) => {
  const params: Record<string, ParamSpec> = {
    x: { kind: 'values', values: [1, 2, 3] },
    y: { kind: 'int', low: 0, high: 1 },
  };
  const all = samplePoints(params, { method: 'grid', seed: 0 });
  t.same(all.map((p) => [p.x, p.y]), [[1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [3, 1]]);
  t.same(samplePoints(params, { method: 'grid', seed: 0, samples: 4 }), all.slice(0, 4));
  t.same(samplePoints(params, { method: 'grid', seed: 0, samples: 4 }, { start: 4, count: 10 }), all.slice(4));
  t.equal(designSize(params, { method: 'grid', seed: 0 }), 6);
  t.equal(designSize(params, { method: 'grid', seed: 0, samples: 4, replicates: 2 }), 8);
  t.throws(() => samplePoints({ z: { kind: 'uniform', low: 0, high: 1 } }, { method: 'grid', seed: 0 }), {
    name: 'DataError',
    message: /"z".*levels/,
  });
});

t.test('list: inline points are validated; a file must be read first', async (t) => {
  const params: Record<string, ParamSpec> = { x: { kind: 'uniform', low: 0, high: 1 }, k: { kind: 'const', value: 1 } };
  const spec: SamplingSpec = { method: 'list', seed: 0, points: [{ x: 0.1 }, { x: 0.2 }, { x: 0.3 }] };
  t.same(samplePoints(params, spec), [{ x: 0.1, k: 1 }, { x: 0.2, k: 1 }, { x: 0.3, k: 1 }]);
  t.same(samplePoints(params, { ...spec, samples: 2 }), [{ x: 0.1, k: 1 }, { x: 0.2, k: 1 }]);
  t.same(samplePoints(params, spec, { start: 2, count: 5 }), [{ x: 0.3, k: 1 }]);
  t.equal(designSize(params, spec), 3);
  t.equal(designSize(params, { method: 'list', seed: 0, file: '/p.csv' }), null);
  t.throws(() => samplePoints(params, { ...spec, points: [{ x: 0.1 }, { y: 2 }] }), {
    message: 'sampling.points[1]: unknown parameter "y"; the parameters are "x", "k"',
  });
  t.throws(() => samplePoints(params, { ...spec, file: '/d/p.csv', points: [{ x: 0.1 }, {}] }), {
    message: '/d/p.csv: data row 2: missing parameter "x"',
  });
  t.throws(() => samplePoints(params, { method: 'list', seed: 0, file: '/d/p.csv' }), { message: /readPointsFile/ });
});

t.test('designSize and required samples', async (t) => {
  t.equal(designSize(P, { method: 'random', seed: 0 }), null);
  t.equal(designSize(P, { method: 'sobol', seed: 0, samples: 10, replicates: 3 }), 30);
  t.equal(samplePoints(P, { method: 'sobol', seed: 0, samples: 10, replicates: 3 }).length, 30);
  t.throws(() => samplePoints(P, { method: 'lhs', seed: 0 }), { name: 'DataError', message: /needs sampling\.samples/ });
  t.equal(samplePoints(P, { method: 'random', seed: 0 }, { start: 5, count: 5 }).length, 5, 'a range needs no samples');
  t.throws(() => samplePoints(P, { method: 'random', seed: 0.5, samples: 1 }), { name: 'DataError' });
  t.throws(() => samplePoints(P, { method: 'random', seed: 0, samples: 1, replicates: 0 }), { name: 'DataError' });
  t.throws(() => samplePoints(P, { method: 'random', seed: 0 }, { start: -1, count: 1 }), { name: 'DataError' });
  t.throws(() => samplePoints(P, { method: 'nope' as 'grid', seed: 0, samples: 1 }), { message: /unknown sampling\.method/ });
});
