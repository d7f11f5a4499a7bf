// Claims: which array element runs which block of a submission's tasks, one file per block made by exclusive create (docs/claims.md).
//
// The guarantee. An element runs a block of tasks only after it created the block's claim file with
// open(O_CREAT|O_EXCL). Of any number of creators of one path, on any hosts, exactly one succeeds and the others get
// EEXIST: POSIX on a local filesystem, the NFSv3/v4 exclusive CREATE (the server checks and creates in one operation;
// a retransmitted request is recognised by its verifier), and on Lustre, GPFS and CephFS, whose metadata servers
// create under a lock. Claim files are never renamed over, removed or locked with flock (not coherent across NFS
// clients without lockd): the create is the whole protocol, and an existing claim is final for the submission.
// NFSv2 has no exclusive create: set executor.array.steal: false there (every element then runs its own slice).
// Tested by test/node/claims.test.ts (element processes racing for the same blocks) and test/executor/slurm-claims.test.ts.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** Who holds a block: the element (number within the plan or resubmission) it is attributed to, and the creator. */
export interface Claim {
  element: number;
  /** The creator: `<job id>` of an array element, `pid<pid>@<host>` without one, `controller-<run>` for the controller. */
  by: string;
  /** Where the creator ran (for people looking at a stuck claim). */
  host?: string;
  pid?: number;
}

/** Blocks per slice: a thief takes one block at a time, so a block is the grain of the tail (1/16 of an element's work). */
export const BLOCKS_PER_SLICE = 16;

/** Tasks per claim block for a bundle: one task for bundles up to 16, else 1/16 of the bundle (fewer claim files). */
export function blockSize(bundle: number): number {
  return Math.max(1, Math.ceil(bundle / BLOCKS_PER_SLICE));
}

/** The file name of the claim of block `block` of element `element` inside a submission's claims directory. */
export function claimName(element: number, block: number): string {
  return `${element}.${block}`;
}

/** `[element, block]` of a claim file name, or null for any other name. */
export function parseClaimName(name: string): [number, number] | null {
  const m = /^(\d+)\.(\d+)$/.exec(name);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function formatClaim(c: Claim): string {
  return JSON.stringify(c) + '\n';
}

/** The claim in a claim file's text; null when empty (its creator died between create and write) or not a claim. */
export function parseClaim(text: string): Claim | null {
  try {
    const v = JSON.parse(text) as Partial<Claim>;
    return Number.isSafeInteger(v.element) && typeof v.by === 'string' ? (v as Claim) : null;
  } catch {
    return null;
  }
}

/**
 * Creates the claim file `path` exclusively and writes `c` into it: true when this call created it, false when it
 * existed (someone else holds the block). Other errors (a missing directory, permissions) are thrown.
 */
export function tryClaim(path: string, c: Claim): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, formatClaim(c));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The claim in file `path`, or null when there is none (or it cannot be read). */
export function readClaim(path: string): Claim | null {
  try {
    return parseClaim(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}
