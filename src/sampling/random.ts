// Method `random`: i.i.d. uniform points, point i depending only on (seed, i, dimension).
import type { Point } from '../config/types.js';
import { LOW_COUNTERS, Stream, keyOf, prefix, unit, unitAt } from './hash.js';
import { type Layout, type Value, mapWith, mapperOf } from './map.js';

/** Random design points [start, end); any slice equals the same slice of a longer run. */
export function randomPoints(layout: Layout, seed: number, start: number, end: number): Point[] {
  const key = keyOf(seed, Stream.random);
  const maps = layout.dims.map((d) => mapperOf(d.spec));
  const d = maps.length;
  const pre = maps.map((_, j) => prefix(key, j, 0));
  const out: Point[] = [];
  const values: Value[] = new Array<Value>(d);
  for (let i = start; i < end; i++) {
    if (i < LOW_COUNTERS) for (let j = 0; j < d; j++) values[j] = mapWith(maps[j], unitAt(pre[j], i));
    else for (let j = 0; j < d; j++) values[j] = mapWith(maps[j], unit(key, i, j));
    out.push(layout.point(values));
  }
  return out;
}
