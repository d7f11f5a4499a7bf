// Reads the plan file of an ensemble: kept apart from planning so the node-side wrapper loads little.
import { readFile } from 'node:fs/promises';
import { EnsembleError } from '../errors.js';
import { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from './plan.js';

/** Reads plan/plan.json of an ensemble directory (written last when planning, so its presence means a complete plan). */
export async function readPlan(ensembleDir: string): Promise<{ layout: EnsembleLayout; plan: PlanFile }> {
  const layout = new EnsembleLayout(ensembleDir);
  let text: string;
  try {
    text = await readFile(layout.planFile, 'utf8');
  } catch (cause) {
    throw new EnsembleError(`${ensembleDir} is not a planned ensemble (no plan/plan.json): run \`arrayflow plan <config>\` first`, { cause });
  }
  try {
    return { layout, plan: JSON.parse(text) as PlanFile };
  } catch (cause) {
    throw new EnsembleError(`${layout.planFile} is damaged (not JSON): restore it, or plan the ensemble again in a new directory`, { cause });
  }
}
