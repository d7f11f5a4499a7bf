// The cancel request of an ensemble (cancel.json): written by `arrayflow cancel` (temp file + rename), addressed to the
// controller that held the lock then, and read by that controller once a tick; a controller started later is not stopped by it.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { EnsembleLayout } from '../layout/layout.js';
import { writeFileAtomic } from '../util/fs.js';
import type { LockHolder } from './lock.js';

/** What cancel.json holds: when, from where, and which controller (the lock holder then; null: none ran) it stops. */
export interface CancelRequest {
  at: string;
  host: string;
  pid: number;
  controller: Pick<LockHolder, 'pid' | 'host' | 'since'> | null;
}

/**
 * Writes the request for `controller` (the live lock holder, or null). A file replaced by rename, not a journal line:
 * `cancel` may run on another host than the controller, and appends from two NFS clients can overwrite each other.
 */
export async function writeCancelRequest(layout: EnsembleLayout, controller: LockHolder | null): Promise<CancelRequest> {
  const req: CancelRequest = {
    at: new Date().toISOString(),
    host: hostname(),
    pid: process.pid,
    controller: controller && { pid: controller.pid, host: controller.host, since: controller.since },
  };
  await writeFileAtomic(layout.cancelRequest, JSON.stringify(req) + '\n');
  return req;
}

/** The last cancel request, or null (none, or unreadable: a request is written whole, by rename). */
export async function readCancelRequest(layout: EnsembleLayout): Promise<CancelRequest | null> {
  try {
    return JSON.parse(await readFile(layout.cancelRequest, 'utf8')) as CancelRequest;
  } catch {
    return null;
  }
}

/**
 * Whether `req` stops the controller `me`: the process (pid on host) that held the lock when it was written, in the
 * tenure `me.since`; without `since`, in any of its tenures (an adaptive run takes the lock again for each round).
 */
export function cancelsController(req: CancelRequest | null, me: Pick<LockHolder, 'pid' | 'host'> & { since?: string }): boolean {
  const c = req?.controller;
  return !!c && c.pid === me.pid && c.host === me.host && (me.since === undefined || c.since === me.since);
}

/**
 * A controller's watch on cancel.json: `requested()` reads it (an open, so an NFS client revalidates it) until it is
 * addressed to this controller, then stays true without reading it again.
 */
export class CancelWatch {
  private hit = false;

  constructor(
    private readonly layout: EnsembleLayout,
    private readonly me: LockHolder,
  ) {}

  async requested(): Promise<boolean> {
    if (!this.hit) this.hit = cancelsController(await readCancelRequest(this.layout), this.me);
    return this.hit;
  }
}
