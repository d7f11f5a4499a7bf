// Sobol' sequence (Joe–Kuo directions, 32-bit Gray code), optionally with a seeded digital shift.
import { DataError } from '../errors.js';
import { Stream, bits32, keyOf } from './hash.js';
import { type Layout, mapWith, mapperOf } from './map.js';
import { JOE_KUO, JOE_KUO_MAX_DIM } from './sobol-directions.js';

const BITS = 32;
/** Points have 32-bit coordinates, so the sequence has 2^32 distinct points (indices 0 .. 2^32-1). */
export const SOBOL_MAX_POINTS = 4294967296;
export const SOBOL_MAX_DIM = JOE_KUO_MAX_DIM;

let table: Array<{ s: number; a: number; m: number[] }> | undefined;

function parseTable(): Array<{ s: number; a: number; m: number[] }> {
  if (table) return table;
  table = [];
  for (const line of JOE_KUO.trim().split('\n')) {
    const [, s, a, ...m] = line.trim().split(/\s+/).map(Number);
    table.push({ s, a, m });
  }
  return table;
}

/**
 * Direction numbers V[k] (k = 0..31, i.e. Bratley–Fox v_{k+1} scaled to 32 bits) for dimension
 * `dim` (0-based), by the recurrence of Joe & Kuo's reference implementation.
 */
export function directions(dim: number): Uint32Array {
  const v = new Uint32Array(BITS);
  if (dim === 0) {
    for (let k = 0; k < BITS; k++) v[k] = 2 ** (BITS - 1 - k);
    return v;
  }
  const { s, a, m } = parseTable()[dim - 1];
  // 1-based V as in the paper; v[k-1] holds V_k.
  for (let k = 1; k <= Math.min(s, BITS); k++) v[k - 1] = (m[k - 1] * 2 ** (BITS - k)) >>> 0;
  for (let k = s + 1; k <= BITS; k++) {
    let x = v[k - s - 1] ^ (v[k - s - 1] >>> s);
    for (let i = 1; i <= s - 1; i++) {
      if ((a >>> (s - 1 - i)) & 1) x ^= v[k - i - 1];
    }
    v[k - 1] = x >>> 0;
  }
  return v;
}

/**
 * Calls `visit(row, i)` for Sobol' points i = start .. end-1 with row = the point's coordinates
 * u ∈ [0, 1) (the buffer is reused). Unscrambled, point 0 is the origin, exactly as scipy's
 * qmc.Sobol(d, scramble=False). Scrambled, every coordinate is XORed with a per-dimension 52-bit
 * mask drawn from the seed.
 */
function walk(
  d: number,
  start: number,
  end: number,
  scramble: boolean,
  seed: number,
  visit: (row: Float64Array, i: number) => void,
): void {
  if (d > SOBOL_MAX_DIM) {
    throw new DataError(
      `sobol: ${d} dimensions (non-const parameters) but the Joe–Kuo table here has ${SOBOL_MAX_DIM}; use random or lhs`,
    );
  }
  if (end > SOBOL_MAX_POINTS) {
    throw new DataError(`sobol: point ${end - 1} requested, but the 32-bit sequence has only 2^32 points`);
  }
  const dirs = Array.from({ length: d }, (_, j) => directions(j));
  // A digital shift: XOR in base 2 with a random 52-bit number. The low 20 bits of an unshifted
  // point are 0, so those bits of the mask pass through unchanged.
  const hi = new Uint32Array(d);
  const lo = new Float64Array(d);
  if (scramble) {
    const key = keyOf(seed, Stream.sobolShift);
    for (let j = 0; j < d; j++) {
      hi[j] = bits32(key, 0, j);
      lo[j] = bits32(key, 1, j) >>> 12;
    }
  }
  // Point `start` directly from its Gray code, then one XOR per dimension per step.
  const x = new Uint32Array(d);
  const gray = (start ^ (start >>> 1)) >>> 0;
  for (let k = 0; k < BITS; k++) {
    if ((gray >>> k) & 1) for (let j = 0; j < d; j++) x[j] ^= dirs[j][k];
  }
  const row = new Float64Array(d);
  for (let i = start; i < end; i++) {
    if (scramble) {
      for (let j = 0; j < d; j++) row[j] = (((x[j] ^ hi[j]) >>> 0) * 1048576 + lo[j]) / 4503599627370496;
    } else {
      for (let j = 0; j < d; j++) row[j] = x[j] / 4294967296;
    }
    visit(row, i);
    const next = i + 1;
    if (next < SOBOL_MAX_POINTS) {
      const c = 31 - Math.clz32(next & -next);
      for (let j = 0; j < d; j++) x[j] ^= dirs[j][c];
    }
  }
}

/** Coordinates u ∈ [0, 1) of Sobol' points [start, end) in d dimensions, point by point. */
export function sobolUnits(d: number, start: number, end: number, scramble: boolean, seed: number): Float64Array {
  const out = new Float64Array(Math.max(0, end - start) * d);
  walk(d, start, end, scramble, seed, (row, i) => out.set(row, (i - start) * d));
  return out;
}

/** Columns (see Design) of Sobol' design points [start, end) mapped into the parameter domains. */
export function sobolColumns(layout: Layout, seed: number, scramble: boolean, start: number, end: number): Float64Array[] {
  const maps = layout.dims.map((dim) => mapperOf(dim.spec));
  const d = maps.length;
  const columns = maps.map(() => new Float64Array(Math.max(0, end - start)));
  walk(d, start, end, scramble, seed, (row, i) => {
    for (let j = 0; j < d; j++) columns[j][i - start] = mapWith(maps[j], row[j]);
  });
  return columns;
}
