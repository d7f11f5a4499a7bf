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

/**
 * Design points in columns, what the sampling methods produce: one object per point costs more than
 * drawing it at a million points, and the task table stores columns anyway. columns[j] holds
 * dimension j of every point: its number, or for a `values` dimension the index into `values`
 * (exact in a float64, and it keeps strings and booleans out of a typed array).
 */
export interface Design {
  layout: Layout;
  /** Number of points (with no dimensions, all const, there are no columns to count). */
  count: number;
  columns: Float64Array[];
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
 * allocation site): that is the whole cost of a million-point design (or of reading a million-row
 * task table). `slot[k]` is the index in `v` of name k, or -1 for `c[k]`. Names are embedded through
 * JSON.stringify, which always yields a valid string literal.
 */
export function pointBuilder(names: string[], slot: number[]): (v: readonly Value[], c: readonly Value[]) => Point {
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

/** A column entry of dimension `spec` as its value: the number itself, or the level of a `values` dimension. */
export function valueAt(spec: DimSpec, x: number): Value {
  return spec.kind === 'values' ? spec.values[x] : x;
}

/**
 * A dimension's mapping of u ∈ [0, 1) to its column entry, in one object shape for every kind so hot
 * loops stay monomorphic. kind: 0 uniform, 1 loguniform, 2 discrete (int or values).
 */
export interface Mapper {
  kind: 0 | 1 | 2;
  /** Also the number of level 0 of a discrete dimension: an int's low, 0 (the index) for values. */
  low: number;
  high: number;
  /** high - low, or log(high) - log(low) for loguniform. */
  width: number;
  logLow: number;
  /** Level count of a discrete dimension (0 when continuous). */
  levels: number;
}

export function mapperOf(spec: DimSpec): Mapper {
  switch (spec.kind) {
    case 'uniform':
      return { kind: 0, low: spec.low, high: spec.high, width: spec.high - spec.low, logLow: 0, levels: 0 };
    case 'loguniform': {
      const logLow = Math.log(spec.low);
      return { kind: 1, low: spec.low, high: spec.high, width: Math.log(spec.high) - logLow, logLow, levels: 0 };
    }
    case 'int':
      return { kind: 2, low: spec.low, high: 0, width: 0, logLow: 0, levels: levelCount(spec) as number };
    case 'values':
      return { kind: 2, low: 0, high: 0, width: 0, logLow: 0, levels: levelCount(spec) as number };
  }
}

/**
 * Maps u ∈ [0, 1) into the domain, as a column entry (see {@link Design}): uniform low + u·(high − low);
 * loguniform exp(log low + u·(log high − log low)); int low + floor(u·(high − low + 1)); values the
 * index floor(u·len), each clamped into the domain. uniform and int use only +, −, ×, ÷ and floor,
 * so they are bit-identical everywhere; Math.exp/Math.log come from V8's own fdlibm port, identical
 * on every platform for one Node version but free to change in the last bit in another.
 */
export function mapWith(m: Mapper, u: number): number {
  if (m.kind === 0) {
    const x = m.low + u * m.width;
    return x > m.high ? m.high : x;
  }
  if (m.kind === 1) {
    const x = Math.exp(m.logLow + u * m.width);
    return x < m.low ? m.low : x > m.high ? m.high : x;
  }
  const i = Math.floor(u * m.levels);
  return m.low + (i >= m.levels ? m.levels - 1 : i);
}

/** The value u ∈ [0, 1) maps to, for a one-off value. */
export function mapUnit(spec: DimSpec, u: number): Value {
  return valueAt(spec, mapWith(mapperOf(spec), u));
}

/** The points of a design, one object each, keys in parameter order. */
export function pointsOf(design: Design): Point[] {
  const { layout, count, columns } = design;
  const specs = layout.dims.map((dim) => dim.spec);
  const d = specs.length;
  const values: Value[] = new Array<Value>(d);
  const out: Point[] = new Array<Point>(count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) values[j] = valueAt(specs[j], columns[j][i]);
    out[i] = layout.point(values);
  }
  return out;
}

/** The design of given points (in parameter order, values checked against the domains, e.g. by validatePoints). */
export function designOf(layout: Layout, points: readonly Point[]): Design {
  const n = points.length;
  const columns = layout.dims.map(({ name, spec }) => {
    const col = new Float64Array(n);
    if (spec.kind !== 'values') {
      for (let i = 0; i < n; i++) col[i] = points[i][name] as number;
      return col;
    }
    // A Map matches like `includes` does (SameValueZero); the first of equal levels stands for all.
    const level = new Map<Value, number>();
    spec.values.forEach((v, k) => {
      if (!level.has(v)) level.set(v, k);
    });
    for (let i = 0; i < n; i++) {
      const k = level.get(points[i][name]);
      if (k === undefined) throw new DataError(`parameter "${name}": ${JSON.stringify(points[i][name])} is not one of its values`);
      col[i] = k;
    }
    return col;
  });
  return { layout, count: n, columns };
}
