import t from 'tap';
import type { ParamSpec } from '../../src/config/types.js';
import { validatePoints } from '../../src/sampling/list.js';

const params: Record<string, ParamSpec> = {
  alpha: { kind: 'uniform', low: 0, high: 1 },
  n: { kind: 'int', low: 1, high: 10 },
  mode: { kind: 'values', values: ['fast', 'slow', '2'] },
  tag: { kind: 'const', value: 'v1' },
};

t.test('valid points come back in parameter order with consts filled in', async (t) => {
  const out = validatePoints(params, [
    { mode: 'fast', n: 3, alpha: 0.5 },
    { alpha: 0, n: 10, mode: 2, tag: 'v1' },
  ]);
  t.same(out, [
    { alpha: 0.5, n: 3, mode: 'fast', tag: 'v1' },
    { alpha: 0, n: 10, mode: '2', tag: 'v1' },
  ]);
  t.same(Object.keys(out[0]), ['alpha', 'n', 'mode', 'tag']);
  t.equal(out[1].mode, '2', 'a CSV number matching a string level becomes that level');
});

t.test('errors name the point and the parameter', async (t) => {
  const ok = { alpha: 0.5, n: 3, mode: 'fast' };
  t.throws(() => validatePoints(params, [ok, { alpha: 0.5, mode: 'fast' }]), {
    name: 'DataError',
    message: 'sampling.points[1]: missing parameter "n"',
  });
  t.throws(() => validatePoints(params, [{ ...ok, beta: 1 }]), {
    message: /sampling\.points\[0\]: unknown parameter "beta"; the parameters are "alpha", "n", "mode", "tag"/,
  });
  t.throws(() => validatePoints(params, [{ ...ok, alpha: 1.5 }]), {
    message: 'sampling.points[0]: parameter "alpha": 1.5 is outside [0, 1]',
  });
  t.throws(() => validatePoints(params, [{ ...ok, alpha: '0.5' }]), { message: /expected a number, got "0.5"/ });
  t.throws(() => validatePoints(params, [{ ...ok, n: 2.5 }]), { message: /"n": expected an integer, got 2.5/ });
  t.throws(() => validatePoints(params, [{ ...ok, n: 0 }]), { message: /0 is outside \[1, 10\]/ });
  t.throws(() => validatePoints(params, [{ ...ok, mode: 'medium' }]), {
    message: 'sampling.points[0]: parameter "mode": "medium" is not one of ["fast","slow","2"]',
  });
  t.throws(() => validatePoints(params, [{ ...ok, tag: 'v2' }]), { message: /"tag": parameter is const "v1"/ });
});

t.test('a custom location names file rows', async (t) => {
  t.throws(() => validatePoints(params, [{ alpha: 2, n: 1, mode: 'fast' }], (i) => `/x/p.csv: data row ${i + 1}`), {
    message: /^\/x\/p\.csv: data row 1: parameter "alpha"/,
  });
});
