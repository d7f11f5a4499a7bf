// Counter-based pseudo-random numbers: U(key, i, j) from 32-bit integer mixing only, identical on every machine.
import { DataError } from '../errors.js';

/**
 * Two independent 32-bit lanes derived from (seed, stream). Two lanes make a 64-bit state, so that
 * 10^7 draws of one design do not collide the way a single 32-bit state would (birthday bound).
 */
export interface Key {
  readonly a: number;
  readonly b: number;
}

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;

// Chris Wellons' "lowbias32" and "triple32" integer hashes: bijective 32-bit mixers with
// near-ideal avalanche. Math.imul and shifts are exact integer ops, so results never vary by platform.
function mixA(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function mixB(x: number): number {
  x ^= x >>> 17;
  x = Math.imul(x, 0xed5ad4bb);
  x ^= x >>> 11;
  x = Math.imul(x, 0xac4c1b51);
  x ^= x >>> 15;
  x = Math.imul(x, 0x31848bab);
  x ^= x >>> 14;
  return x >>> 0;
}

/** The 32-bit mixer behind every stream (lowbias32), for keyed round functions. */
export const mix = mixA;

/** Low and high 32-bit words of a safe integer (two's complement for negatives). */
function lo32(n: number): number {
  return n >>> 0;
}
function hi32(n: number): number {
  return Math.floor(n / TWO32) >>> 0;
}

/**
 * Named streams keep unrelated uses of one seed apart (e.g. LHS permutations vs. jitter). The numbers
 * are part of the determinism contract: changing one changes every design drawn from it.
 */
export const Stream = {
  random: 1,
  lhsBlock: 2,
  lhsPerm: 3,
  lhsJitter: 4,
  sobolShift: 5,
  taskSeed: 6,
} as const;

/** Derive a key from a seed (any safe integer) and a stream number. */
export function keyOf(seed: number, stream: number): Key {
  const s = Math.imul(stream, 0x9e3779b9);
  let a = mixA(lo32(seed) ^ s);
  a = mixA(a ^ hi32(seed));
  let b = mixB(lo32(seed) ^ mixA(s ^ 0x85ebca6b));
  b = mixB(b ^ hi32(seed));
  return { a, b };
}

/** A new key from a key and two words (used to derive per-block keys). */
export function subKey(k: Key, stream: number, x: number): Key {
  const s = Math.imul(stream, 0x9e3779b9);
  let a = mixA(k.a ^ s);
  a = mixA(a ^ lo32(x));
  a = mixA(a ^ hi32(x));
  let b = mixB(k.b ^ mixA(s ^ 0xc2b2ae35));
  b = mixB(b ^ lo32(x));
  b = mixB(b ^ hi32(x));
  return { a, b };
}

/**
 * U(key, i, j) in [0, 1) with 53 random bits: i is a counter (a safe integer ≥ 0, e.g. a point
 * index), j a small integer (e.g. a dimension). For fixed (key, j) each lane is a bijection of the low
 * word of i, so nearby counters never share a state.
 */
export function unit(k: Key, i: number, j: number): number {
  return unitAt(prefix(k, j, i < TWO32 ? 0 : hi32(i)), i >>> 0);
}

/**
 * The part of unit() that depends only on (key, j, high word of i); hoisted out of hot loops, where
 * unitAt(prefix(k, j, 0), i) === unit(k, i, j) for every i < 2^32.
 */
export function prefix(k: Key, j: number, iHigh: number): Key {
  return { a: mixA(mixA(k.a ^ j) ^ iHigh), b: mixB(mixB(k.b ^ j) ^ iHigh) };
}

/** unit() from a prefix and the low 32 bits of the counter. */
export function unitAt(p: Key, iLow: number): number {
  const a = mixA(p.a ^ iLow);
  const b = mixB(p.b ^ iLow);
  return ((a >>> 5) * 67108864 + (b >>> 6)) / TWO53;
}

/** Counters below this can use prefix(k, j, 0) + unitAt. */
export const LOW_COUNTERS = TWO32;

/** 32 random bits from (key, i, j), for masks. */
export function bits32(k: Key, i: number, j: number): number {
  let a = mixA(k.a ^ j);
  a = mixA(a ^ hi32(i));
  a = mixA(a ^ lo32(i));
  let b = mixB(k.b ^ j);
  b = mixB(b ^ hi32(i));
  b = mixB(b ^ lo32(i));
  return mixA(a ^ b);
}

// Arithmetic modulo 2^31 keeps every step a bijection of [0, 2^31): xor-shift, multiplication by an
// odd constant and addition of a key are all invertible there.
function mix31(x: number, ka: number, kb: number): number {
  x = (x + ka) & 0x7fffffff;
  x ^= x >>> 15;
  x = Math.imul(x, 0x2c1b3c6d) & 0x7fffffff;
  x ^= x >>> 12;
  x = (x ^ kb) & 0x7fffffff;
  x = Math.imul(x, 0x297a2d39) & 0x7fffffff;
  x ^= x >>> 15;
  x = (x + (ka >>> 7)) & 0x7fffffff;
  x = Math.imul(x, 0x5b4d6a8f) & 0x7fffffff;
  x ^= x >>> 16;
  return x;
}

/**
 * The `{task_seed}` of a task: a well-mixed integer in [0, 2^31). For one seed it is a bijection of
 * task ids below 2^31, so no two tasks of an ensemble ever share a task seed.
 */
export function taskSeed(seed: number, taskId: number): number {
  return taskSeeds(seed, taskId, 1)[0];
}

/** taskSeed of tasks first .. first + count - 1, deriving the key once per 2^31 ids instead of once per task. */
export function taskSeeds(seed: number, first: number, count: number): Float64Array {
  if (!Number.isSafeInteger(seed)) throw new DataError(`taskSeed: seed must be a safe integer, got ${seed}`);
  for (const id of [first, first + Math.max(0, count - 1)]) {
    if (!Number.isSafeInteger(id) || id < 0) throw new DataError(`taskSeed: taskId must be a non-negative safe integer, got ${id}`);
  }
  const out = new Float64Array(count);
  const base = keyOf(seed, Stream.taskSeed);
  // Ids ≥ 2^31 (never reached in practice) pick a different key instead of wrapping around.
  let block = Math.floor(first / 2147483648);
  let k = subKey(base, Stream.taskSeed, block);
  for (let i = 0; i < count; i++) {
    const id = first + i;
    if (Math.floor(id / 2147483648) !== block) {
      block = Math.floor(id / 2147483648);
      k = subKey(base, Stream.taskSeed, block);
    }
    out[i] = mix31(id % 2147483648, k.a, k.b);
  }
  return out;
}
