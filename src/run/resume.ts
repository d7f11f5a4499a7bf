// `arrayflow resume`: continue a planned ensemble from its directory alone (single- or multi-stage, adaptive or not).
import { readPlan } from '../plan/read.js';
import { runAdaptive } from './adaptive.js';
import { runPlanned } from './planned.js';
import { readStages, resumeStages } from './stages.js';
import type { RunOptions, RunResult } from './types.js';


/**
* `arrayflow resume <ensemble>`: continue a planned ensemble from its directory alone (plan.json holds the
* executor section), e.g. after the controller or the login node died: re-attaches to submitted jobs,
* submits only what never ran, collects what finished meanwhile.
*/
export async function resumeEnsemble(ensembleDir: string, opts: RunOptions = {}): Promise<RunResult> {
  const file = await readStages(ensembleDir);
  if (file) return resumeStages(ensembleDir, file, opts);
  const { layout, plan } = await readPlan(ensembleDir);
  const result = await runPlanned(layout, plan, false, opts);
  if (!plan.adaptive) return result;
  return runAdaptive(layout, { plan, result }, plan.adaptive, opts);
}
