// The tasks an array element runs when stealing is on: its own slice block by block, then blocks taken from the ends of the slowest siblings' slices.
import { mkdirSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type Claim, blockSize, claimName, parseClaimName, readClaim, tryClaim } from '../records/claims.js';

/** The submission an element belongs to, as far as claims go. */
export interface ClaimScope {
  /** claims/<label>/ of the submission. */
  dir: string;
  /** This element, and the submission's elements `first .. first + count - 1` (its siblings). */
  element: number;
  first: number;
  count: number;
  /** Task ids of an element's slice. */
  sliceOf(element: number): number[];
  bundle: number;
  /** This element's creator name (Claim.by): its job id, or pid@host. */
  by: string;
  /**
   * Asked before each block taken from a sibling, with its task count: false ends the stealing (the element's time
   * limit would not leave time for it). Its own blocks are always run: the bundle was sized for the limit.
   */
  mayTake?: (tasks: number) => boolean;
}

function blocks(slice: number[], size: number): number {
  return Math.ceil(slice.length / size);
}

/**
 * The task ids this element runs, claimed one block just before its first task is handed out: first its own blocks in
 * order (skipping those a thief took; retaking those its own earlier run claimed, as after a requeue with the same job
 * id), then, while any sibling has unclaimed blocks, the last unclaimed block of the sibling with the most of them
 * (the slowest slice). The directory listing is only a hint (it may be stale on NFS): the exclusive create decides.
 */
export function* claimedTasks(scope: ClaimScope): Generator<number> {
  const size = blockSize(scope.bundle);
  const me: Claim = { element: scope.element, by: scope.by, host: hostname(), pid: process.pid };
  mkdirSync(scope.dir, { recursive: true });
  const path = (element: number, block: number) => join(scope.dir, claimName(element, block));
  const own = scope.sliceOf(scope.element);
  for (let b = 0; b < blocks(own, size); b++) {
    if (!tryClaim(path(scope.element, b), me)) {
      const held = readClaim(path(scope.element, b));
      if (held?.by !== me.by || held.element !== me.element) continue;
    }
    yield* own.slice(b * size, (b + 1) * size);
  }
  // blocks known to be claimed: from the listings, plus those this element lost a race for
  const taken = new Set<string>();
  const slices = new Map<number, number[]>();
  for (;;) {
    for (const name of readdirSync(scope.dir)) if (parseClaimName(name)) taken.add(name);
    const victim = slowest(scope, size, taken, slices);
    if (!victim) return;
    const [element, block] = victim;
    const tasks = (slices.get(element) as number[]).slice(block * size, (block + 1) * size);
    // an element that steals from siblings not started yet would run on until every task is claimed: the time limit ends it
    if (scope.mayTake && !scope.mayTake(tasks.length)) return;
    taken.add(claimName(element, block));
    if (!tryClaim(path(element, block), me)) continue;
    yield* tasks;
  }
}

/** The last unclaimed block of the sibling with the most unclaimed blocks (ties: the next after this element), or null. */
function slowest(scope: ClaimScope, size: number, taken: Set<string>, slices: Map<number, number[]>): [number, number] | null {
  let best: [number, number] | null = null;
  let most = 0;
  for (let k = 1; k < scope.count; k++) {
    // siblings in turn from the next one on: two thieves with equal views pick different victims
    const element = scope.first + ((scope.element - scope.first + k) % scope.count);
    let slice = slices.get(element);
    if (!slice) slices.set(element, (slice = scope.sliceOf(element)));
    let free = 0;
    let last = -1;
    for (let b = 0; b < blocks(slice, size); b++) {
      if (taken.has(claimName(element, b))) continue;
      free++;
      last = b;
    }
    if (free > most) {
      most = free;
      best = [element, last];
    }
  }
  return best;
}
