// `arrayflow summary`: statistics of the numeric results of an ensemble's done tasks (by stage for a multi-stage one unless grouped otherwise).
import { type EnsembleSummary, type SummaryOptions, readEnsembleSummary } from '../collect/summary.js';
import { UsageError } from '../errors.js';
import { readStages } from './stages.js';

/**
 * Count, mean, std, min and max per numeric result column, grouped by `opts.by`. A multi-stage ensemble's root is
 * summarized from its dataset, by stage unless grouped otherwise, its stages in the order the config lists them.
 */
export async function summarizeEnsemble(ensembleDir: string, opts: SummaryOptions = {}): Promise<EnsembleSummary> {
  const stages = await readStages(ensembleDir);
  if (stages === null) return readEnsembleSummary(ensembleDir, opts);
  if (opts.fromRecords) {
    const names = stages.stages.map((x) => x.name).join(', ');
    throw new UsageError(`${ensembleDir} is a multi-stage ensemble (${names}): its summary is read from its dataset; for a stage's records, summarize ${ensembleDir}/stages/<stage> --records`);
  }
  const order = { stage: stages.stages.map((x) => x.name), ...opts.order };
  const s = await readEnsembleSummary(ensembleDir, { ...opts, by: opts.by ?? ['stage'], order });
  return { ...s, name: stages.name };
}
