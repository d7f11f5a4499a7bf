// `arrayflow run`: plan (or re-open) the ensemble of a config, run what is pending, collect; stages and adaptive rounds on top.
import { readFile } from 'node:fs/promises';
import { readConfig } from '../config/load.js';
import { writePlan } from '../plan/write.js';
import { runAdaptive } from './adaptive.js';
import { runPlanned } from './planned.js';
import { runStagedConfig } from './stages.js';
import type { RunOptions, RunResult } from './types.js';

/** `arrayflow run`: plan (or re-open) the ensemble of a config, run what is pending, collect. */
export async function runEnsemble(configPath: string, opts: RunOptions = {}): Promise<RunResult> {
  const config = await readConfig(configPath);
  const text = await readFile(configPath, 'utf8');
  if (config.stages) return runStagedConfig(config, text, opts);
  const { layout, plan, created } = await writePlan(config, text);
  const result = await runPlanned(layout, plan, config.executor, created, opts);
  // the config's proposer wins over the plan's: raising adaptive.budget and running again goes on
  if (!config.adaptive) return result;
  return runAdaptive(layout, { plan, result }, config.adaptive, config.executor, opts);
}
