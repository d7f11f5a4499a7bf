// Provenance: manifest.json (versions, host, user, config hash, seeds, git state of the simulation's repository).
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { execa } from 'execa';
import type { Config } from '../config/types.js';
import { toolVersion } from '../util/paths.js';

export interface GitState {
  commit: string;
  dirty: boolean;
  root: string;
}

export interface Manifest {
  tool: { name: 'arrayflow'; version: string };
  node: string;
  platform: string;
  host: string;
  user: string;
  created: string;
  config_file: string;
  config_hash: string;
  sampling: { method: string; seed: number; samples: number | null; points_file_sha256: string | null };
  tasks: number;
  git: GitState | null;
}

/**
 * sha256 of what defines the tasks and their results: the normalised config (comments and formatting don't
 * change it) without the executor section — the same ensemble may run locally, then on Slurm — nor the expected task
 * time, the prologue, `logs` and `result.max_size`, and the points file.
 */
export function hashConfig(config: Config, pointsFile: Uint8Array | null): string {
  const h = createHash('sha256');
  // where and how it runs (the expected task time only sizes bundles, the prologue prepares the machine), and the
  // adaptive proposer (its budget may grow), are not the design's identity; nor are which logs are kept and the result
  // size limit (raising it is the fix for a `result too large` failure)
  const { source: _source, executor: _executor, adaptive: _adaptive, expected_task_time: _expected, prologue: _prologue, logs: _logs, ...rest } = config;
  const { max_size: _maxSize, ...result } = rest.result;
  h.update(JSON.stringify({ ...rest, result }));
  if (pointsFile) h.update(pointsFile);
  return h.digest('hex');
}

/** The git commit and dirty flag of the repository holding `dir`, or null when it is not in one. */
export async function readGitState(dir: string): Promise<GitState | null> {
  const git = (args: string[]) => execa('git', ['-C', dir, ...args], { reject: false, stdin: 'ignore' });
  const head = await git(['rev-parse', 'HEAD']).catch(() => null);
  if (!head || head.exitCode !== 0) return null;
  const [status, top] = await Promise.all([git(['status', '--porcelain']), git(['rev-parse', '--show-toplevel'])]);
  return { commit: head.stdout.trim(), dirty: status.stdout.trim() !== '', root: top.stdout.trim() };
}

export async function buildManifest(config: Config, hash: string, tasks: number, pointsFile: Uint8Array | null): Promise<Manifest> {
  let user = process.env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep $USER
  }
  return {
    tool: { name: 'arrayflow', version: toolVersion() },
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    host: hostname(),
    user,
    created: new Date().toISOString(),
    config_file: config.source,
    config_hash: hash,
    sampling: {
      method: config.sampling.method,
      seed: config.sampling.seed,
      samples: config.sampling.samples ?? null,
      points_file_sha256: pointsFile ? createHash('sha256').update(pointsFile).digest('hex') : null,
    },
    tasks,
    git: await readGitState(dirname(config.source)),
  };
}
