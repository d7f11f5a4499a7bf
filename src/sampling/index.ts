// The sampling entry point: parameters + sampling spec (+ range) -> points, pure and the same on every machine.
import type { ParamSpec, Point, SamplingSpec } from '../config/types.js';
import { DataError } from '../errors.js';
import { gridColumns, gridSize } from './grid.js';
import { lhsColumns } from './lhs.js';
import { validatePoints } from './list.js';
import { type Design, designOf, layoutOf, pointsOf } from './map.js';
import { randomColumns } from './random.js';
import { SOBOL_MAX_POINTS, sobolColumns } from './sobol.js';

export { taskSeed } from './hash.js';
export type { Design } from './map.js';
export { parsePointsFile, readPointsFile } from './points-file.js';
export { SOBOL_MAX_DIM, SOBOL_MAX_POINTS } from './sobol.js';

/** A slice of the design, in task order (after replicates): points [start, start + count). */
export interface PointRange {
  start: number;
  count: number;
}

function checkInt(what: string, v: number | undefined, min: number): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= min)) {
    throw new DataError(`${what} must be an integer ≥ ${min}, got ${v}`);
  }
}

function listWhere(sampling: SamplingSpec): (i: number) => string {
  return sampling.file ? (i) => `${sampling.file}: data row ${i + 1}` : (i) => `sampling.points[${i}]`;
}

/**
 * Number of points `samplePoints(parameters, sampling)` returns without a range, replicates
 * included: grid and list give all their points (capped by `samples`), random/lhs/sobol give
 * `samples`. null when that is not known here: random/lhs/sobol without `samples`, or a list whose
 * points are still in `sampling.file` (read them with readPointsFile and pass them as `points`).
 */
export function designSize(parameters: Record<string, ParamSpec>, sampling: SamplingSpec): number | null {
  const r = sampling.replicates ?? 1;
  const cap = sampling.samples ?? Infinity;
  switch (sampling.method) {
    case 'grid':
      return Math.min(gridSize(layoutOf(parameters).dims), cap) * r;
    case 'list':
      return sampling.points ? Math.min(sampling.points.length, cap) * r : null;
    case 'random':
    case 'lhs':
    case 'sobol':
      return sampling.samples === undefined ? null : sampling.samples * r;
  }
}

/**
 * Samples the design, in columns (see {@link Design}; {@link samplePoints} gives objects). const
 * parameters take no dimension. Every design point is repeated `replicates` times in a row.
 *
 * `range` selects points [start, start + count) of the whole, replicated sequence (for random and
 * sobol an infinite one; grid and list end at their last point, so a range past it returns fewer
 * points). For lhs, points below `samples × replicates` are the Latin hypercube of `samples` points,
 * and the part of a range beyond it is a new Latin hypercube of that size (see docs/sampling.md).
 * Without range: grid/list give all points capped by `samples`; random/lhs/sobol give `samples` points.
 *
 * Deterministic: equal inputs give equal output on every machine (loguniform excepted in the last
 * bit across V8 versions).
 */
export function sampleDesign(parameters: Record<string, ParamSpec>, sampling: SamplingSpec, range?: PointRange): Design {
  const { method, seed } = sampling;
  if (!Number.isSafeInteger(seed)) throw new DataError(`sampling.seed must be an integer, got ${seed}`);
  checkInt('sampling.samples', sampling.samples, 0);
  checkInt('sampling.replicates', sampling.replicates, 1);
  const r = sampling.replicates ?? 1;
  const layout = layoutOf(parameters);

  let listed: Point[] | undefined;
  if (method === 'list') {
    if (!sampling.points) {
      throw new DataError(
        sampling.file
          ? `sampling.method list: read ${sampling.file} with readPointsFile and pass its points as sampling.points`
          : `sampling.method list needs sampling.points or sampling.file`,
      );
    }
    listed = validatePoints(parameters, sampling.points, listWhere(sampling));
  }
  // Design points that exist at all (grid/list are finite), and how many a call without range gets.
  const finite = method === 'grid' ? gridSize(layout.dims) : listed ? listed.length : Infinity;
  let start: number;
  let end: number;
  if (range) {
    checkInt('range.start', range.start, 0);
    checkInt('range.count', range.count, 0);
    start = range.start;
    end = start + range.count;
    if (!Number.isSafeInteger(end)) throw new DataError(`range end ${end} is not a safe integer`);
  } else {
    if (sampling.samples === undefined && finite === Infinity) {
      throw new DataError(`sampling.method ${method} needs sampling.samples (the number of points)`);
    }
    start = 0;
    end = Math.min(finite, sampling.samples ?? Infinity) * r;
  }
  // Design indices covering the task range, clipped to the design.
  const ds = Math.floor(start / r);
  const de = Math.min(Math.ceil(end / r), finite);
  if (ds >= de) return { layout, count: 0, columns: layout.dims.map(() => new Float64Array(0)) };

  let design: Float64Array[];
  switch (method) {
    case 'grid':
      design = gridColumns(layout, ds, de);
      break;
    case 'list':
      design = designOf(layout, (listed as Point[]).slice(ds, de)).columns;
      break;
    case 'random':
      design = randomColumns(layout, seed, ds, de);
      break;
    case 'lhs':
      design = lhsColumns(layout, seed, sampling.samples ?? 0, ds, de);
      break;
    case 'sobol':
      if (de > SOBOL_MAX_POINTS) {
        throw new DataError(`sobol: points up to index ${de - 1} requested; the sequence has 2^32 points`);
      }
      design = sobolColumns(layout, seed, sampling.scramble ?? false, ds, de);
      break;
    default:
      throw new DataError(`unknown sampling.method ${JSON.stringify(method)}; use grid, list, random, lhs or sobol`);
  }
  if (r === 1) return { layout, count: de - ds, columns: design };
  const stop = Math.min(end, de * r);
  const columns = design.map((col) => {
    const out = new Float64Array(stop - start);
    for (let k = start; k < stop; k++) out[k - start] = col[Math.floor(k / r) - ds];
    return out;
  });
  return { layout, count: stop - start, columns };
}

/** {@link sampleDesign} as one object per point, for designs small enough that this does not matter. */
export function samplePoints(parameters: Record<string, ParamSpec>, sampling: SamplingSpec, range?: PointRange): Point[] {
  return pointsOf(sampleDesign(parameters, sampling, range));
}
