// Parameter domains: which parameters are dimensions, and the mapping of u ∈ [0, 1) to a value.
import type { ParamSpec, Point } from '../config/types.js';
import { DataError } from '../errors.js';

export type Value = string | number | boolean;
export type DimSpec = Exclude<ParamSpec, { kind: 'const' }>;

/** One sampled dimension: a non-const parameter, in YAML order. */
export interface Dim {
  name: string;
  spec: DimSpec;
}

/** The parameters split into dimensions (non-const, in key order) and an assembler of points. */
export interface Layout {
  dims: Dim[];
  /** Builds a point with keys in parameter order from the dimension values (same order as dims). */
  point(values: readonly Value[]): Point;
}

function checkSpec(name: string, spec: ParamSpec): void {
  const where = `parameter "${name}"`;
  switch (spec.kind) {
    case 'uniform':
    case 'loguniform':
      if (!Number.isFinite(spec.low) || !Number.isFinite(spec.high) || spec.low > spec.high) {
        throw new DataError(`${where}: needs finite low ≤ high, got [${spec.low}, ${spec.high}]`);
      }
      if (spec.kind === 'loguniform' && !(spec.low > 0)) {
        throw new DataError(`${where}: loguniform needs low > 0, got ${spec.low}`);
      }
      if (spec.levels !== undefined && !(Number.isSafeInteger(spec.levels) && spec.levels >= 1)) {
        throw new DataError(`${where}: levels must be an integer ≥ 1, got ${spec.levels}`);
      }
      return;
    case 'int':
      if (!Number.isSafeInteger(spec.low) || !Number.isSafeInteger(spec.high) || spec.low > spec.high) {
        throw new DataError(`${where}: int needs integers low ≤ high, got [${spec.low}, ${spec.high}]`);
      }
      return;
    case 'values':
      if (spec.values.length === 0) throw new DataError(`${where}: values must not be empty`);
      return;
    case 'const':
      return;
  }
}

/**
 * A function building a point from dimension values and const values. Generated source with one
 * object literal is 2-3× faster than adding computed keys one by one (monomorphic shape, pretenured
 * allocation site): that is the whole cost of a million-point design. Names are embedded through
 * JSON.stringify, which always yields a valid string literal.
 */
function pointBuilder(names: string[], slot: number[]): (v: readonly Value[], c: readonly Value[]) => Point {
  const fields = names.map((n, k) => `${JSON.stringify(n)}: ${slot[k] < 0 ? `c[${k}]` : `v[${slot[k]}]`}`);
  try {
    return new Function('v', 'c', `return {${fields.join(', ')}};`) as (v: readonly Value[], c: readonly Value[]) => Point;
  } catch {
    // Code generation can be disabled (--disallow-code-generation-from-strings): same result, slower.
    return (v, c) => {
      const p: Point = {};
      for (let k = 0; k < names.length; k++) p[names[k]] = slot[k] < 0 ? c[k] : v[slot[k]];
      return p;
    };
  }
}

/** Splits parameters into dimensions and const values, checking each domain once. */
export function layoutOf(parameters: Record<string, ParamSpec>): Layout {
  const names = Object.keys(parameters);
  const dims: Dim[] = [];
  // slot[k] = index into the dimension values, or -1 for a const parameter.
  const slot: number[] = [];
  const consts: Value[] = [];
  for (const name of names) {
    // In an object literal or plain assignment "__proto__" sets the prototype instead of a key.
    if (name === '__proto__') throw new DataError(`parameter name "__proto__" is not allowed; rename it`);
    const spec = parameters[name];
    checkSpec(name, spec);
    if (spec.kind === 'const') {
      slot.push(-1);
      consts.push(spec.value);
    } else {
      slot.push(dims.length);
      consts.push(false);
      dims.push({ name, spec });
    }
  }
  const build = pointBuilder(names, slot);
  return { dims, point: (values) => build(values, consts) };
}

/** Number of distinct values of a discrete dimension (int, values), or null when continuous. */
export function levelCount(spec: DimSpec): number | null {
  if (spec.kind === 'int') return spec.high - spec.low + 1;
  if (spec.kind === 'values') return spec.values.length;
  return null;
}

/** The value of level `i` (0-based) of a discrete dimension. */
export function levelValue(spec: DimSpec, i: number): Value {
  if (spec.kind === 'int') return spec.low + i;
  if (spec.kind === 'values') return spec.values[i];
  throw new DataError(`levelValue: ${spec.kind} is not discrete`);
}

/**
 * A dimension's mapping of u ∈ [0, 1), in one object shape for every kind so hot loops stay
 * monomorphic. kind: 0 uniform, 1 loguniform, 2 discrete (int or values).
 */
export interface Mapper {
  kind: 0 | 1 | 2;
  low: number;
  high: number;
  /** high - low, or log(high) - log(low) for loguniform. */
  width: number;
  logLow: number;
  /** Level count of a discrete dimension (0 when continuous). */
  levels: number;
  spec: DimSpec;
}

export function mapperOf(spec: DimSpec): Mapper {
  switch (spec.kind) {
    case 'uniform':
      return { kind: 0, low: spec.low, high: spec.high, width: spec.high - spec.low, logLow: 0, levels: 0, spec };
    case 'loguniform': {
      const logLow = Math.log(spec.low);
      return { kind: 1, low: spec.low, high: spec.high, width: Math.log(spec.high) - logLow, logLow, levels: 0, spec };
    }
    case 'int':
    case 'values':
      return { kind: 2, low: 0, high: 0, width: 0, logLow: 0, levels: levelCount(spec) as number, spec };
  }
}

/**
 * Maps u ∈ [0, 1) into the domain: uniform low + u·(high − low); loguniform
 * exp(log low + u·(log high − log low)); int low + floor(u·(high − low + 1)); values
 * values[floor(u·len)], each clamped into the domain. uniform and int use only +, −, ×, ÷ and
 * floor, so they are bit-identical everywhere; Math.exp/Math.log come from V8's own fdlibm port,
 * identical on every platform for one Node version but free to change in the last bit in another.
 */
export function mapWith(m: Mapper, u: number): Value {
  if (m.kind === 0) {
    const x = m.low + u * m.width;
    return x > m.high ? m.high : x;
  }
  if (m.kind === 1) {
    const x = Math.exp(m.logLow + u * m.width);
    return x < m.low ? m.low : x > m.high ? m.high : x;
  }
  const i = Math.floor(u * m.levels);
  return levelValue(m.spec, i >= m.levels ? m.levels - 1 : i);
}

/** mapWith for a one-off value. */
export function mapUnit(spec: DimSpec, u: number): Value {
  return mapWith(mapperOf(spec), u);
}
