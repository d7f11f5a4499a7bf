// Method `lhs`: Latin hypercube blocks (seeded stratum permutations + jitter) and how a budget extends them.
import { DataError } from '../errors.js';
import { type Key, Stream, keyOf, mix, prefix, subKey, unitAt } from './hash.js';
import { type Layout, levelCount, mapWith, mapperOf } from './map.js';

// The stratum permutation works on words of at most 32 bits; 2^32 points is far past any budget.
const MAX_BLOCK = 4294967296;

/** floor(a / b) for non-negative safe integers, exact even where a / b rounds up to an integer. */
function floorDiv(a: number, b: number): number {
  const q = Math.floor(a / b);
  return q * b > a ? q - 1 : q;
}

/**
 * The key of the Latin hypercube block that starts at design index `start` and holds `size` points.
 * Part of the determinism contract (see docs/sampling.md).
 */
export function blockKey(seed: number, start: number, size: number): Key {
  return subKey(subKey(keyOf(seed, Stream.lhsBlock), Stream.lhsBlock, start), Stream.lhsBlock, size);
}

const ROUNDS = 4;

/**
 * A keyed permutation of [0, n): an unbalanced Feistel network on the ceil(log2 n)-bit words, with
 * cycle walking to stay below n (Black & Rogaway, "Ciphers with arbitrary finite domains", 2002).
 * Being a bijection it puts exactly one point in each stratum, and it gives the stratum of any point
 * directly, so a slice of a huge hypercube costs only its own length (plus the round tables).
 */
export class Permutation {
  /**
   * F of every round for every input: a round function sees only the low floor(bits/2) ≤ 16 bits,
   * so 4 × 2^(bits/2) entries (4 KiB at a million points) replace a hash per round and point.
   */
  private readonly rounds: Uint32Array;
  private readonly hiBits: number;
  private readonly loBits: number;
  private readonly loMask: number;
  constructor(
    key: Key,
    dim: number,
    readonly n: number,
  ) {
    const bits = n <= 1 ? 0 : 32 - Math.clz32(n - 1);
    this.hiBits = Math.ceil(bits / 2);
    this.loBits = bits - this.hiBits;
    this.loMask = this.loBits === 0 ? 0 : (2 ** this.loBits - 1) >>> 0;
    const hiMask = (2 ** this.hiBits - 1) >>> 0;
    const pre = prefix(key, dim, 0);
    const size = this.loMask + 1;
    this.rounds = new Uint32Array(ROUNDS * size);
    for (let r = 0; r < ROUNDS; r++) {
      const k = (unitAt(pre, r) * 4294967296) >>> 0;
      for (let lo = 0; lo < size; lo++) this.rounds[r * size + lo] = mix(lo ^ k) & hiMask;
    }
  }

  /** The image of i ∈ [0, n). */
  at(i: number): number {
    const n = this.n;
    if (n <= 1) return 0;
    const rounds = this.rounds;
    const loBits = this.loBits;
    const loMask = this.loMask;
    const hiBits = this.hiBits;
    const size = loMask + 1;
    let x = i;
    do {
      for (let r = 0; r < ROUNDS; r++) {
        const lo = x & loMask;
        // (hi, lo) -> (lo, hi ^ F(lo)): invertible whatever F is.
        x = ((lo << hiBits) | ((x >>> loBits) ^ rounds[r * size + lo])) >>> 0;
      }
    } while (x >= n);
    return x;
  }
}

/**
 * Columns (see Design) of points [from, to) of the n-point Latin hypercube with block key `key`: in
 * every dimension exactly one of the n points lies in each stratum [p/n, (p+1)/n) of u. A discrete
 * dimension with k levels maps stratum p only to the levels that stratum overlaps (exact integer
 * bounds, so rounding cannot leak a point into a neighbour level): each level appears exactly n/k
 * times when k divides n, and otherwise within the strata it overlaps (|count − n/k| < 2).
 */
export function lhsBlock(layout: Layout, key: Key, n: number, from = 0, to = n): Float64Array[] {
  if (n > MAX_BLOCK) throw new DataError(`lhs: ${n} points in one Latin hypercube; at most ${MAX_BLOCK}`);
  const permKey = subKey(key, Stream.lhsPerm, 0);
  const jitterKey = subKey(key, Stream.lhsJitter, 0);
  // Dimension by dimension: each inner loop has one permutation, one jitter stream and one mapping.
  return layout.dims.map((dim, j) => {
    const perm = new Permutation(permKey, j, n);
    const jitter = prefix(jitterKey, j, 0);
    const map = mapperOf(dim.spec);
    const count = levelCount(dim.spec);
    // The exact clamp below needs (n + 1) * k to be a safe integer.
    const k = count !== null && (n + 1) * count <= Number.MAX_SAFE_INTEGER ? count : 0;
    const col = new Float64Array(to - from);
    for (let i = from; i < to; i++) {
      const p = perm.at(i);
      let u = (p + unitAt(jitter, i)) / n;
      // p + v can round up to p + 1 when p is large; fall back to the stratum's centre.
      if (Math.floor(u * n) !== p) u = (p + 0.5) / n;
      if (k > 0) {
        let idx = Math.floor(u * k);
        // Keep idx among the levels stratum p overlaps, floor(pk/n) .. floor(((p+1)k-1)/n); the
        // tests are multiplications so the common case costs no division.
        if ((idx + 1) * n <= p * k) idx = floorDiv(p * k, n);
        else if (idx * n > (p + 1) * k - 1) idx = floorDiv((p + 1) * k - 1, n);
        col[i - from] = map.low + idx;
      } else {
        col[i - from] = mapWith(map, u);
      }
    }
    return col;
  });
}

/**
 * Columns of LHS design points [start, end). The first `samples` points are one Latin hypercube
 * (block 0); design indices from `samples` on are the budget extension: the part of the request at or
 * after `samples` is a fresh Latin hypercube of exactly that many points, keyed by (seed, its first
 * index, its size). Ask for an extension batch whole: a sub-slice of it is a different, smaller hypercube.
 */
export function lhsColumns(layout: Layout, seed: number, samples: number, start: number, end: number): Float64Array[] {
  const base = start < samples ? lhsBlock(layout, blockKey(seed, 0, samples), samples, start, Math.min(end, samples)) : null;
  const extStart = Math.max(start, samples);
  const ext = end > extStart ? lhsBlock(layout, blockKey(seed, extStart, end - extStart), end - extStart) : null;
  if (base === null || ext === null) return base ?? ext ?? layout.dims.map(() => new Float64Array(0));
  return base.map((col, j) => {
    const both = new Float64Array(col.length + ext[j].length);
    both.set(col);
    both.set(ext[j], col.length);
    return both;
  });
}
