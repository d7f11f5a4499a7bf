// Method `list`: user-given points, checked against the parameter domains and put in parameter order.
import type { ParamSpec, Point } from '../config/types.js';
import { DataError } from '../errors.js';
import type { Value } from './map.js';

function describe(v: unknown): string {
  // an empty CSV cell: said in words, a bare "" is easy to miss
  if (v === '') return 'an empty value ("")';
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** The domain's own value matching `v`, or an error message. */
function check(spec: ParamSpec, v: Value): { value: Value } | { error: string } {
  switch (spec.kind) {
    case 'uniform':
    case 'loguniform':
    case 'int': {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        return { error: `expected ${spec.kind === 'int' ? 'an integer' : 'a number'}, got ${describe(v)}` };
      }
      if (spec.kind === 'int' && !Number.isInteger(v)) return { error: `expected an integer, got ${v}` };
      if (v < spec.low || v > spec.high) return { error: `${v} is outside [${spec.low}, ${spec.high}]` };
      return { value: v };
    }
    case 'values': {
      if (spec.values.includes(v)) return { value: v };
      // A CSV cell "2" became the number 2; accept it for values: ["2"] (and true for "true").
      const s = String(v);
      const hit = spec.values.find((x) => String(x) === s);
      if (hit !== undefined) return { value: hit };
      return { error: `${describe(v)} is not one of ${JSON.stringify(spec.values)}` };
    }
    case 'const': {
      if (v === spec.value || String(v) === String(spec.value)) return { value: spec.value };
      return { error: `parameter is const ${describe(spec.value)}, got ${describe(v)}` };
    }
  }
}

/**
 * Checks every point and returns new points with keys in parameter order (const parameters filled
 * in). Each point must hold exactly the non-const parameters; a const parameter's column is allowed
 * when it repeats the const value. `where(i)` names point i in messages (e.g. a file and row).
 */
export function validatePoints(
  parameters: Record<string, ParamSpec>,
  points: readonly Point[],
  where: (i: number) => string = (i) => `sampling.points[${i}]`,
): Point[] {
  const names = Object.keys(parameters);
  const out: Point[] = [];
  for (let i = 0; i < points.length; i++) {
    const raw = points[i];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new DataError(`${where(i)}: expected an object of parameter values, got ${describe(raw)}`);
    }
    for (const key of Object.keys(raw)) {
      if (!Object.hasOwn(parameters, key)) {
        throw new DataError(
          `${where(i)}: unknown parameter "${key}"; the parameters are ${names.map((n) => `"${n}"`).join(', ')}`,
        );
      }
    }
    const p: Point = {};
    for (const name of names) {
      const spec = parameters[name];
      if (!Object.hasOwn(raw, name)) {
        if (spec.kind === 'const') {
          p[name] = spec.value;
          continue;
        }
        throw new DataError(`${where(i)}: missing parameter "${name}"`);
      }
      const r = check(spec, raw[name]);
      if ('error' in r) throw new DataError(`${where(i)}: parameter "${name}": ${r.error}`);
      p[name] = r.value;
    }
    out.push(p);
  }
  return out;
}
