// The simulation's stdout and stderr: written to scratch while it runs, their tail put in a failure record, their
// last TASK_LOG_CAP bytes kept under logs/tasks/ (config `logs`) before the record is written.
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TASK_LOG_CAP } from '../config/types.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { readStderrTail } from '../records/tail.js';

/** The files in scratch the simulation's stdout and stderr go to (a `keep` list may name them). */
export const STREAM_FILES = { stdout: 'stdout.txt', stderr: 'stderr.txt' } as const;

/** The stderr tail of the simulation that ran in scratch dir `scratch`; '' when there is none. */
export function stderrTail(scratch: string): string {
  return readStderrTail(join(scratch, STREAM_FILES.stderr));
}

/** The last `cap` bytes of file `src` written to `dest`; nothing when `src` does not exist (the task never started). */
async function copyTail(src: string, dest: string, cap: number): Promise<void> {
  let fh;
  try {
    fh = await open(src, 'r');
  } catch {
    return;
  }
  try {
    const { size } = await fh.stat();
    const len = Math.min(size, cap);
    const buf = Buffer.alloc(len);
    if (len > 0) await fh.read(buf, 0, len, size - len);
    await writeFile(dest, buf);
  } finally {
    await fh.close();
  }
}

/** logs/tasks/ made once per process (the ensemble dir is on the shared filesystem: no mkdir per task). */
const madeDirs = new Set<string>();

/**
 * Copies the last {@link TASK_LOG_CAP} bytes of the simulation's stdout and stderr from scratch to
 * logs/tasks/<task>.<attempt>.stdout|stderr. Called before the task's record is written (marker last): whoever
 * reads the record finds the logs.
 */
export async function keepTaskLogs(scratch: string, layout: EnsembleLayout, task: number, attempt: number): Promise<void> {
  const dir = layout.taskLogsDir;
  if (!madeDirs.has(dir)) {
    await mkdir(dir, { recursive: true });
    madeDirs.add(dir);
  }
  await Promise.all(
    (['stdout', 'stderr'] as const).map((s) => copyTail(join(scratch, STREAM_FILES[s]), layout.taskLog(task, attempt, s), TASK_LOG_CAP)),
  );
}
