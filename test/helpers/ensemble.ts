// Test helpers: write a config (with the behave.mjs fixture simulation) into a temp dir, run the built CLI.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { execa } from 'execa';
import { packageRoot } from '../../src/util/paths.js';

export const behaveSim = join(packageRoot, 'test', 'fixtures', 'sim', 'behave.mjs');
export const cli = join(packageRoot, 'dist', 'cli', 'main.js');

/** Writes a config file (YAML text) into `dir` and returns its path. */
export function writeConfig(dir: string, yaml: string, file = 'config.yaml'): string {
  const path = join(dir, file);
  writeFileSync(path, yaml);
  return path;
}

/** A config running behave.mjs with `mode` and `x` parameters. */
export function behaveConfig(opts: { name?: string; modes: string[]; xs: Array<number | string>; extra?: string; timeout?: string; executor?: string }): string {
  return `name: ${opts.name ?? 'test'}
ensemble_dir: ens
command: [node, behave.mjs, "{mode}", "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
timeout: ${opts.timeout ?? '60s'}
parameters:
  mode: { values: ${JSON.stringify(opts.modes)} }
  x: { values: ${JSON.stringify(opts.xs)} }
sampling: { method: grid, seed: 7 }
${opts.executor ?? 'executor: { type: local, workers: 2 }'}
${opts.extra ?? ''}
`;
}

/** A config whose design `extend --budget` can grow: behave.mjs `ok` on `a`, the first `samples` points of a Sobol sequence. */
export function sobolConfig(samples: number): string {
  return `name: grow
ensemble_dir: ens
command: [node, behave.mjs, ok, "{a}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  a: { uniform: [0, 10] }
sampling: { method: sobol, samples: ${samples}, seed: 5 }
executor: { workers: 2 }
`;
}

/** Runs the built CLI; never rejects (with `timeout`, ms, a hung CLI is killed and comes back `timedOut`). */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeout?: number } = {}) {
  return execa(process.execPath, [cli, ...args], { reject: false, cwd: opts.cwd, env: opts.env, stdin: 'ignore', timeout: opts.timeout });
}

/**
 * tap puts its process-info loader into NODE_OPTIONS; jobs inherit the submitter's environment, so every
 * node process of an array element would load it too (and blow small --mem limits). Jobs get a clean one.
 */
export function dropTapHooks(): void {
  delete process.env.NODE_OPTIONS;
}

/** Rows of a DuckDB query (e.g. over read_parquet of a dataset), as objects: an independent reader of our files. */
export async function duckQuery(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
  } finally {
    c.closeSync();
  }
}
