// Test helpers: a valid Config from YAML text (issues thrown, not returned), and its ensemble planned with writePlan.
import { join } from 'node:path';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';
import { formatIssue } from '../../src/errors.js';
import { type OpenedPlan, writePlan } from '../../src/plan/write.js';

/** The Config of `yaml` as if it were `<dir>/config.yaml` (relative paths, ensemble_dir, resolve against `dir`). */
export function configIn(dir: string, yaml: string): Config {
  const { config, issues } = validateConfig(yaml, join(dir, 'config.yaml'));
  if (!config) throw new Error(`test config is not valid:\n${issues.map(formatIssue).join('\n')}`);
  return config;
}

/** Plans `yaml` (see configIn) into its ensemble directory. */
export async function planIn(dir: string, yaml: string): Promise<OpenedPlan & { config: Config }> {
  const config = configIn(dir, yaml);
  return { ...(await writePlan(config, yaml)), config };
}

/** A small config: `n` tasks of one uniform parameter `x` drawn by `method`, run by `echo`. */
export function drawnConfig(opts: { n: number; method?: 'sobol' | 'random' | 'lhs'; extra?: string; bundle?: number }): string {
  return `name: drawn
ensemble_dir: ens
command: [echo, "{x}", "{k}"]
parameters:
  x: { uniform: [0, 1] }
  k: { values: [a, b] }
sampling: { method: ${opts.method ?? 'sobol'}, samples: ${opts.n}, seed: 3 }
executor: { type: slurm, array: { bundle: ${opts.bundle ?? 2} } }
${opts.extra ?? ''}
`;
}
