// `arrayflow run`: plan (or re-open) the ensemble of a config, run what is pending, collect; stages and adaptive rounds on top.
import { readConfigFile } from '../config/load.js';
import type { Config } from '../config/types.js';
import { writePlan } from '../plan/write.js';
import { runAdaptive } from './adaptive.js';
import { runPlanned } from './planned.js';
import { runStagedConfig } from './stages.js';
import { type RunOptions, type RunResult, reportSettings } from './types.js';
import { SchedulerError } from '../errors.js';
import { batchScheduler } from '../scheduler/registry.js';
import { which } from '../util/which.js';
import { existsSync } from 'node:fs';
import { SchedulerRunner } from '../executor/runner.js';
import { EnsembleLayout } from '../layout/layout.js';
import { slotsFor } from '../plan/slots.js';
import { LocalTransport } from '../transport/local.js';

/**
 * A batch run from this machine needs the scheduler's submit command here: without it, say so in one sentence
 * before anything is planned (with a login host or a given transport the commands run elsewhere).
 */
function requireScheduler(config: Config, opts: RunOptions): void {
  const type = opts.executor ?? config.executor.type;
  if (type === 'local' || opts.host || opts.transport || config.executor.host) return;
  const submit = batchScheduler(type, config.executor.dialect).submitArgv('script')[0];
  if (which(submit) !== null) return;
  throw new SchedulerError(
    `${submit} is not on this machine's PATH, so ${type} jobs cannot be submitted from here: run arrayflow on the cluster's login node, or set executor.host (or --host) to submit over SSH`,
  );
}

/**
 * The elements the cluster runs at once, for the automatic bundle of a new plan (src/plan/bundle.ts): asked of a batch
 * scheduler on this machine (or through the given transport); null when the plan exists, the run goes over SSH (one
 * connection per run: the default slots are assumed) or the cluster does not say.
 */
async function newPlanSlots(config: Config, opts: RunOptions): Promise<number | null> {
  const type = opts.executor ?? config.executor.type;
  if (type === 'local' || opts.host || config.executor.host || existsSync(new EnsembleLayout(config.ensemble_dir).planFile)) return null;
  const transport = opts.transport ?? new LocalTransport();
  try {
    const limits = await new SchedulerRunner(batchScheduler(type, config.executor.dialect), transport).limits();
    return slotsFor(limits.cpus, config.executor.resources.cpus);
  } catch {
    // the run's own limits discovery reports what is wrong
    return null;
  } finally {
    if (!opts.transport) await transport.close();
  }
}

/** `arrayflow run`: plan (or re-open) the ensemble of the config file at `configPath`, run what is pending, collect. */
export async function runEnsemble(configPath: string, opts: RunOptions = {}): Promise<RunResult> {
  const { config, text } = await readConfigFile(configPath);
  return runConfig(config, text, opts);
}

/** {@link runEnsemble} of a validated config; `text` is its YAML, frozen into the ensemble directory as config.yaml. */
export async function runConfig(config: Config, text: string, opts: RunOptions = {}): Promise<RunResult> {
  requireScheduler(config, opts);
  if (config.stages) return runStagedConfig(config, text, opts);
  const opened = await writePlan(config, text, undefined, await newPlanSlots(config, opts));
  reportSettings([opened], opts);
  const { layout, plan, created } = opened;
  const result = await runPlanned(layout, plan, created, opts);
  // the config's proposer wins over the plan's: raising adaptive.budget and running again goes on
  if (!config.adaptive) return result;
  return runAdaptive(layout, { plan, result }, config.adaptive, opts);
}
