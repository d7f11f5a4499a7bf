// Method `random`: i.i.d. uniform points, point i depending only on (seed, i, dimension).
import { LOW_COUNTERS, Stream, keyOf, prefix, unit, unitAt } from './hash.js';
import { type Layout, mapWith, mapperOf } from './map.js';

/** Columns (see Design) of random design points [start, end); any slice equals the same slice of a longer run. */
export function randomColumns(layout: Layout, seed: number, start: number, end: number): Float64Array[] {
  const key = keyOf(seed, Stream.random);
  return layout.dims.map((dim, j) => {
    const map = mapperOf(dim.spec);
    const pre = prefix(key, j, 0);
    const col = new Float64Array(end - start);
    for (let i = start; i < end; i++) col[i - start] = mapWith(map, i < LOW_COUNTERS ? unitAt(pre, i) : unit(key, i, j));
    return col;
  });
}
