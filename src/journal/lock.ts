// The controller lock: one controller per ensemble; a lock left by a dead process on this host is taken over once its task workers are gone.
import { renameSync, writeFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { EnsembleError, StorageError } from '../errors.js';
import { processAlive } from '../util/process.js';

/** What a lock file holds: who took it, and when. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
  /** The holder's local task workers: a worker outlives a controller that died by the seconds it takes to stop its simulation. */
  workers?: number[];
}

/** How long a new controller waits for a dead one's workers to stop their simulations (a stop's grace is 3 s). */
const WORKERS_GONE_MS = 15_000;
const WORKERS_POLL_MS = 100;

/** The live holder of a lock file (same host: its pid runs; other host: assumed live), or null. */
export async function lockHolder(path: string): Promise<LockHolder | null> {
  let h: LockHolder;
  try {
    h = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch {
    return null;
  }
  if (typeof h?.pid !== 'number') return null;
  if (h.host === hostname() && !processAlive(h.pid)) return null;
  return h;
}

export interface Lock {
  /** Who holds it: this process, since it took it (what `arrayflow cancel` addresses: journal/cancel.ts). */
  readonly holder: LockHolder;
  /** Lists the controller's live task workers in the lock file (temp file + rename: a reader sees the old or the new). */
  setWorkers(pids: number[]): void;
  release(): Promise<void>;
}

/**
 * Waits until the workers of a dead holder have exited: they notice its death and stop their simulations within a
 * few seconds; running the same tasks meanwhile would run them twice at once.
 */
async function awaitWorkers(holder: LockHolder, path: string): Promise<void> {
  const deadline = Date.now() + WORKERS_GONE_MS;
  for (;;) {
    const alive = (holder.workers ?? []).filter((pid) => Number.isInteger(pid) && processAlive(pid));
    if (alive.length === 0) return;
    if (Date.now() >= deadline) {
      throw new EnsembleError(
        `the task workers (pid ${alive.join(', ')}) of a controller that died (pid ${holder.pid}) still run after ${WORKERS_GONE_MS / 1000} s; ` +
          `stop them (kill ${alive.join(' ')}) and try again (${path})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, WORKERS_POLL_MS));
  }
}

/** Takes the lock file at `path`, or throws EnsembleError naming the live holder. */
export async function acquireLock(path: string): Promise<Lock> {
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify(me) + '\n');
      } finally {
        // closed on a failed write too (a full filesystem): a handle left to the garbage collector warns on stderr
        await fh.close();
      }
      return {
        holder: me,
        setWorkers(pids) {
          const tmp = `${path}.${process.pid}.tmp`;
          try {
            writeFileSync(tmp, JSON.stringify({ ...me, workers: pids }) + '\n');
            renameSync(tmp, path);
          } catch (e) {
            throw StorageError.from(e, path);
          }
        },
        release: () => unlink(path).catch(() => undefined),
      };
    } catch (e) {
      // a lock file made but left empty (a full filesystem) is taken as a dead writer's by the next run
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw StorageError.from(e, path);
    }
    let holder: LockHolder | null = null;
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    } catch {
      // empty or torn lock file: its writer died before finishing it
    }
    if (holder && holder.host !== me.host) {
      throw new EnsembleError(
        `another arrayflow controller (pid ${holder.pid} on ${holder.host}, since ${holder.since}) holds ${path}; ` +
          `stop it, or delete the lock file if that host is gone`,
      );
    }
    if (holder && processAlive(holder.pid)) {
      throw new EnsembleError(`another arrayflow controller (pid ${holder.pid}, since ${holder.since}) is running this ensemble (${path})`);
    }
    if (holder) await awaitWorkers(holder, path);
    await unlink(path).catch(() => undefined);
  }
  throw new EnsembleError(`could not take the controller lock ${path}`);
}
