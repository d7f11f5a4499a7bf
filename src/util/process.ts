// Whether a process exists (signal 0): used to tell a live lock holder or scratch owner from a dead one.

/** True when `pid` runs (EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
