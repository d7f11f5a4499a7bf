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
  /** sha256 of what defines the tasks (src/plan/settings.ts: taskKeys, taskHash); execution settings are not part of it. */
  task_hash: string;
  sampling: { method: string; seed: number; samples: number | null; points_file_sha256: string | null };
  tasks: number;
  git: GitState | null;
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
    task_hash: hash,
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
