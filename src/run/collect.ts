// `arrayflow collect`: the dataset of an ensemble directory from its records (the root's combined dataset for a multi-stage one).
import { readPlan } from '../plan/read.js';
import { collectEnsemble } from './collect-plan.js';
import { collectStages, readStages } from './stages.js';
import type { CollectOverrides, RunResult } from './types.js';

/** (Re)writes the dataset files of `ensembleDir` (the config's `dataset.formats`, or `over.formats`) from its task table and record files; idempotent. */
export async function collectEnsembleDir(ensembleDir: string, over: CollectOverrides = {}): Promise<RunResult> {
  if (await readStages(ensembleDir)) return collectStages(ensembleDir, over);
  const { layout, plan } = await readPlan(ensembleDir);
  return collectEnsemble(layout, plan, over);
}
