// `arrayflow run`: plan (or re-open) the ensemble of a config, run what is pending, collect; stages and adaptive rounds on top.
import { readConfigFile } from '../config/load.js';
import type { Config } from '../config/types.js';
import { writePlan } from '../plan/write.js';
import { runAdaptive } from './adaptive.js';
import { runPlanned } from './planned.js';
import { runStagedConfig } from './stages.js';
import type { RunOptions, RunResult } from './types.js';

/** `arrayflow run`: plan (or re-open) the ensemble of the config file at `configPath`, run what is pending, collect. */
export async function runEnsemble(configPath: string, opts: RunOptions = {}): Promise<RunResult> {
  const { config, text } = await readConfigFile(configPath);
  return runConfig(config, text, opts);
}

/** {@link runEnsemble} of a validated config; `text` is its YAML, frozen into the ensemble directory as config.yaml. */
export async function runConfig(config: Config, text: string, opts: RunOptions = {}): Promise<RunResult> {
  if (config.stages) return runStagedConfig(config, text, opts);
  const { layout, plan, created } = await writePlan(config, text);
  const result = await runPlanned(layout, plan, config.executor, created, opts);
  // the config's proposer wins over the plan's: raising adaptive.budget and running again goes on
  if (!config.adaptive) return result;
  return runAdaptive(layout, { plan, result }, config.adaptive, config.executor, opts);
}
