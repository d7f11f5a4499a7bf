// The controller lock: one controller per ensemble; a lock left by a dead process on this host is taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { EnsembleError } from '../errors.js';
import { processAlive } from '../util/process.js';

/** What a lock file holds: who took it, and when. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

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
  release(): Promise<void>;
}

/** Takes the lock file at `path`, or throws EnsembleError naming the live holder. */
export async function acquireLock(path: string): Promise<Lock> {
  const me: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify(me) + '\n');
      await fh.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
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
    await unlink(path).catch(() => undefined);
  }
  throw new EnsembleError(`could not take the controller lock ${path}`);
}
