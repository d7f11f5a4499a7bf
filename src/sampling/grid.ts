// Full-factorial grid: the cartesian product of every dimension's levels, last parameter fastest.
import { DataError } from '../errors.js';
import type { Dim, Layout, Value } from './map.js';

// A grid bigger than this cannot be indexed exactly with doubles; nobody runs one anyway.
const MAX_GRID = Number.MAX_SAFE_INTEGER;
// Refuse to materialise an int axis this long; the product would be unrunnable.
const MAX_AXIS = 100_000_000;

/** The levels of one dimension on the grid. */
export function gridAxis(dim: Dim): Value[] {
  const { name, spec } = dim;
  switch (spec.kind) {
    case 'values':
      return spec.values.slice();
    case 'int': {
      const n = spec.high - spec.low + 1;
      if (n > MAX_AXIS) {
        throw new DataError(`grid: parameter "${name}" has ${n} integer levels; more than ${MAX_AXIS} is not a grid anyone can run`);
      }
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(spec.low + i);
      return out;
    }
    case 'uniform':
    case 'loguniform': {
      const n = spec.levels;
      if (n === undefined) {
        throw new DataError(
          `grid: parameter "${name}" is continuous (${spec.kind}) and has no "levels"; add levels: N or use values: [...]`,
        );
      }
      if (n === 1) return [spec.low];
      const out: number[] = [];
      if (spec.kind === 'uniform') {
        for (let k = 0; k < n; k++) out.push(spec.low + ((spec.high - spec.low) * k) / (n - 1));
      } else {
        const ll = Math.log(spec.low);
        const step = (Math.log(spec.high) - ll) / (n - 1);
        for (let k = 0; k < n; k++) out.push(Math.exp(ll + k * step));
      }
      // Both ends are the configured numbers exactly, whatever the rounding in between.
      out[0] = spec.low;
      out[n - 1] = spec.high;
      return out;
    }
  }
}

/** Number of grid points (product of axis lengths; 1 when there are no dimensions). */
export function gridSize(dims: readonly Dim[]): number {
  let size = 1;
  for (const d of dims) {
    size *= gridAxis(d).length;
    if (size > MAX_GRID) throw new DataError(`grid: more than 2^53 points; reduce the levels`);
  }
  return size;
}

/** Columns (see Design) of the grid points with index in [start, end) (end clipped to the grid size), like itertools.product. */
export function gridColumns(layout: Layout, start: number, end: number): Float64Array[] {
  // A `values` dimension's column holds the level index, which is its odometer digit.
  const axes = layout.dims.map((dim) => (dim.spec.kind === 'values' ? null : (gridAxis(dim) as number[])));
  const lengths = layout.dims.map((dim, j) => axes[j]?.length ?? gridAxis(dim).length);
  const size = gridSize(layout.dims);
  const stop = Math.min(end, size);
  const columns = axes.map(() => new Float64Array(Math.max(0, stop - start)));
  if (start >= stop) return columns;
  const d = axes.length;
  // Mixed-radix digits of the start index; afterwards an odometer increments the last digit first.
  const digit = new Array<number>(d).fill(0);
  let rest = start;
  for (let j = d - 1; j >= 0; j--) {
    digit[j] = rest % lengths[j];
    rest = Math.floor(rest / lengths[j]);
  }
  for (let i = start; i < stop; i++) {
    for (let j = 0; j < d; j++) columns[j][i - start] = axes[j]?.[digit[j]] ?? digit[j];
    for (let j = d - 1; j >= 0; j--) {
      if (++digit[j] < lengths[j]) break;
      digit[j] = 0;
    }
  }
  return columns;
}
