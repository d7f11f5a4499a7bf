// Test helper: the pid of a process that has exited and been reaped, for lock and scratch-owner tests.
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/** Starts a node process that exits at once, waits for it, and returns its (now free) pid. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid as number;
}
