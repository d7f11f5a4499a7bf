// Reads the plan file of an ensemble: kept apart from planning so the node-side wrapper loads little.
import { readFile } from 'node:fs/promises';
import { EnsembleError, UsageError } from '../errors.js';
import { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from './plan.js';

/** Reads plan/plan.json of an ensemble directory (written last when planning, so its presence means a complete plan). */
export async function readPlan(ensembleDir: string): Promise<{ layout: EnsembleLayout; plan: PlanFile }> {
  const layout = new EnsembleLayout(ensembleDir);
  let text: string;
  try {
    text = await readFile(layout.planFile, 'utf8');
  } catch (cause) {
    await refuseStagesRoot(layout, cause);
    throw new EnsembleError(`${ensembleDir} is not a planned ensemble (no plan/plan.json): run \`arrayflow plan <config>\` first`, { cause });
  }
  try {
    return { layout, plan: JSON.parse(text) as PlanFile };
  } catch (cause) {
    throw new EnsembleError(`${layout.planFile} is damaged (not JSON): restore it, or plan the ensemble again in a new directory`, { cause });
  }
}

/**
 * The root of a multi-stage ensemble has no plan of its own (docs/stages.md): a command that works on one stage
 * (retry, show, cancel, extend …) is told the stages' directories, not to plan what is planned.
 */
async function refuseStagesRoot(layout: EnsembleLayout, cause: unknown): Promise<void> {
  const text = await readFile(layout.stagesFile, 'utf8').catch(() => null);
  if (text === null) return;
  let names: string[] = [];
  try {
    names = (JSON.parse(text) as { stages: Array<{ name: string }> }).stages.map((st) => st.name);
  } catch {
    // a damaged stages.json: still a multi-stage root; the commands that read it say what is wrong with it
  }
  const dirs = names.map((n) => layout.stageDir(n)).join(', ');
  throw new UsageError(`${layout.root} is a multi-stage ensemble: give one stage's directory${dirs ? ` (${dirs})` : ''}; see docs/stages.md`, { cause });
}
