// `arrayflow summary`: statistics of the numeric results of an ensemble's done tasks (by stage for a multi-stage one unless grouped otherwise).
import { type EnsembleSummary, type SummaryOptions, readEnsembleSummary } from '../collect/summary.js';
import { readStages } from './stages.js';

/** Count, mean, std, min and max per numeric result column, grouped by `opts.by` (default: by stage for a multi-stage ensemble). */
export async function summarizeEnsemble(ensembleDir: string, opts: SummaryOptions = {}): Promise<EnsembleSummary> {
  const by = opts.by ?? ((await readStages(ensembleDir)) ? ['stage'] : []);
  return readEnsembleSummary(ensembleDir, { ...opts, by });
}
