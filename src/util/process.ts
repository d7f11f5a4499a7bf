// Whether a process runs: used to tell a live lock holder, task worker or scratch owner from a dead one.
import { readFileSync } from 'node:fs';

/**
 * True when `pid` runs (EPERM: it runs as another user). A zombie (exited, not reaped: where no init reaps orphans,
 * e.g. some containers) does not run: on Linux, /proc/<pid>/stat says so.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false; // gone since the signal 0
  }
  // "pid (comm) state ...": comm may hold spaces and parentheses, the last ") " ends it
  const state = stat.slice(stat.lastIndexOf(') ') + 2, stat.lastIndexOf(') ') + 3);
  return state !== 'Z' && state !== 'X';
}
