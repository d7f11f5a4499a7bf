// `arrayflow extend`: more points continuing the design and/or more replicates of every point, then only the new tasks run.
import { UsageError } from '../errors.js';
import { acquireLock } from '../journal/lock.js';
import { extendPlan, replicatePlan } from '../plan/extend.js';
import { readPlan } from '../plan/read.js';
import { resumeEnsemble } from './resume.js';
import type { ExtendRequest, RunOptions, RunResult } from './types.js';

/**
 * `arrayflow extend`: raises every point to `replicates` replicates, then grows the design to `budget` samples (each
 * with all its replicates), then runs what is owed (only the new tasks).
 */
export async function extendEnsemble(ensembleDir: string, request: ExtendRequest, opts: RunOptions = {}): Promise<RunResult> {
  if (request.budget === undefined && request.replicates === undefined) {
    throw new UsageError('extend needs --budget N (the new total of samples) or --replicates R (the new number of replicates of every point)');
  }
  const { layout, plan } = await readPlan(ensembleDir);
  const lock = await acquireLock(layout.lock);
  try {
    let next = plan;
    if (request.replicates !== undefined) next = await replicatePlan(layout, next, request.replicates);
    if (request.budget !== undefined) await extendPlan(layout, next, request.budget);
  } finally {
    await lock.release();
  }
  return resumeEnsemble(ensembleDir, opts);
}
