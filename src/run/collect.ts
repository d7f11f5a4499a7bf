// `arrayflow collect`: the dataset of an ensemble directory from its records (the root's combined dataset for a multi-stage one).
import { readPlan } from '../plan/read.js';
import { collectEnsemble } from './collect-plan.js';
import { collectStages, readStages } from './stages.js';
import type { RunResult } from './types.js';

/** (Re)writes dataset.parquet and dataset.csv of `ensembleDir` from its task table and record files; idempotent. */
export async function collectEnsembleDir(ensembleDir: string): Promise<RunResult> {
  if (await readStages(ensembleDir)) return collectStages(ensembleDir);
  const { layout, plan } = await readPlan(ensembleDir);
  return collectEnsemble(layout, plan);
}
