// The statistics of summary.ts for one numeric column: Welford accumulators per group over the done rows, NaN and ±Infinity counted apart.
import { makeVector, Precision, Type, type Data, type Float, type Vector } from './arrow.js';
import { isValid } from './csv.js';

/**
 * Statistics of one numeric column over the done rows of one group; nulls and NaN are not counted (as pandas skips
 * them). ±Infinity are values: the mean, min and max can be infinite (the mean NaN with both signs), std and sem are
 * NaN when one is counted.
 */
export interface ColumnSummary {
  /** Non-null values other than NaN. */
  count: number;
  /** NaN values, left out of the statistics; only present when there is one. */
  nan?: number;
  /** null when count is 0. */
  mean: number | null;
  /** Sample standard deviation (divisor count - 1); null when count < 2. */
  std: number | null;
  /** Standard error of the mean, std / sqrt(count); null when count < 2. */
  sem: number | null;
  min: number | null;
  max: number | null;
}

/** true when `data.values[i]` is the value itself (every int and float layout except float16's raw bits). */
export function directValues(data: Data): boolean {
  if (data.typeId === Type.Int) return true;
  return data.typeId === Type.Float && (data.type as Float).precision !== Precision.HALF;
}

/** Welford accumulators for one column over every group: of the finite values; NaN and ±Infinity are counted apart. */
export class Accumulators {
  readonly n: Float64Array;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
  readonly nan: Float64Array;
  readonly posInf: Float64Array;
  readonly negInf: Float64Array;
  constructor(groups: number) {
    this.nan = new Float64Array(groups);
    this.posInf = new Float64Array(groups);
    this.negInf = new Float64Array(groups);
    this.n = new Float64Array(groups);
    this.mean = new Float64Array(groups);
    this.m2 = new Float64Array(groups);
    this.min = new Float64Array(groups).fill(Infinity);
    this.max = new Float64Array(groups).fill(-Infinity);
  }

  // Welford's update: no sum of squares, so a large common offset (1e9 + small noise) does not cancel the variance away.
  add(g: number, x: number): void {
    if (!Number.isFinite(x)) {
      if (x > 0) this.posInf[g]++;
      else if (x < 0) this.negInf[g]++;
      else this.nan[g]++;
      return;
    }
    const n = ++this.n[g];
    const d = x - this.mean[g];
    this.mean[g] += d / n;
    this.m2[g] += d * (x - this.mean[g]);
    if (x < this.min[g]) this.min[g] = x;
    if (x > this.max[g]) this.max[g] = x;
  }

  result(g: number): ColumnSummary {
    const pos = this.posInf[g];
    const neg = this.negInf[g];
    const n = this.n[g] + pos + neg;
    const nan = this.nan[g] > 0 ? { nan: this.nan[g] } : {};
    if (n === 0) return { count: 0, ...nan, mean: null, std: null, sem: null, min: null, max: null };
    const std = n < 2 ? null : pos + neg > 0 ? NaN : Math.sqrt(this.m2[g] / (n - 1));
    return {
      count: n,
      ...nan,
      mean: pos > 0 && neg > 0 ? NaN : pos > 0 ? Infinity : neg > 0 ? -Infinity : this.mean[g],
      std,
      sem: std === null ? null : std / Math.sqrt(n),
      min: neg > 0 ? -Infinity : this.n[g] > 0 ? this.min[g] : Infinity,
      max: pos > 0 ? Infinity : this.n[g] > 0 ? this.max[g] : -Infinity,
    };
  }
}

/** Adds the done rows of one numeric column to `acc`, reading the typed arrays directly. */
export function accumulate(vec: Vector, groupOf: Int32Array, status: Uint8Array, acc: Accumulators): void {
  let row = 0;
  for (const data of vec.data) {
    const values = data.values as ArrayLike<number | bigint>;
    const direct = directValues(data);
    const chunk = direct ? undefined : makeVector(data);
    for (let i = 0; i < data.length; i++, row++) {
      if (status[row] !== 1 || !isValid(data, i)) continue;
      const raw = direct ? values[i] : (chunk!.get(i) as number | bigint | null);
      if (raw === null) continue;
      acc.add(groupOf[row], typeof raw === 'bigint' ? Number(raw) : raw);
    }
  }
}
