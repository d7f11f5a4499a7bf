// The controller lock: one controller per ensemble; a lock left by a dead process on this host is taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { EnsembleError } from '../errors.js';
import { processAlive } from '../util/process.js';

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}


export interface Lock {
  release(): Promise<void>;
}

/** Takes the lock file at `path`, or throws EnsembleError naming the live holder. */
export async function acquireLock(path: string): Promise<Lock> {
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify(me) + '\n');
      await fh.close();
      return { release: () => unlink(path).catch(() => undefined) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let holder: LockInfo | null = null;
    try {
      holder = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
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
