// `arrayflow extend`: more samples continuing the design, then only the new tasks run.
import { acquireLock } from '../journal/lock.js';
import { extendPlan } from '../plan/extend.js';
import { readPlan } from '../plan/read.js';
import { resumeEnsemble } from './resume.js';
import type { RunOptions, RunResult } from './types.js';

/** `arrayflow extend`: adds `budget` tasks continuing the design, then runs what is owed (only the new tasks). */
export async function extendEnsemble(ensembleDir: string, budget: number, opts: RunOptions = {}): Promise<RunResult> {
  const { layout, plan } = await readPlan(ensembleDir);
  const lock = await acquireLock(layout.lock);
  try {
    await extendPlan(layout, plan, budget);
  } finally {
    await lock.release();
  }
  return resumeEnsemble(ensembleDir, opts);
}

