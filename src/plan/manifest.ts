// Provenance: manifest.json (versions, host, user, task hash, seeds, what src/provenance/ found of the program, inputs and repositories), and the dataset metadata drawn from it.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import type { Config } from '../config/types.js';
import type { EnsembleLayout } from '../layout/layout.js';
import type { Provenance } from '../provenance/provenance.js';
import { toolVersion } from '../util/paths.js';

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
  /** Absent in manifests written before arrayflow recorded it. */
  provenance?: Provenance;
}

export function buildManifest(config: Config, hash: string, tasks: number, pointsFile: Uint8Array | null, provenance: Provenance): Manifest {
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
    provenance,
  };
}

/** The manifest of an ensemble; null when it has none (a dataset imported from a results tree). */
export async function readManifest(layout: EnsembleLayout): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(layout.manifest, 'utf8')) as Manifest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * The dataset's key-value metadata from the manifests of its ensemble (of each stage, in order, for a multi-stage one;
 * pure): arrayflow's version, the task hashes (comma-separated), and from the provenance the config's sha256, each
 * repository's commit, branch and dirty count, and each staged file's sha256 (JSON lists, one entry per repository or file).
 */
export function datasetMetadata(manifests: Manifest[]): Map<string, string> {
  const joined = (values: string[]) => [...new Set(values)].join(',');
  const meta = new Map([
    ['arrayflow.version', joined(manifests.map((m) => m.tool.version))],
    ['arrayflow.task_hash', joined(manifests.map((m) => m.task_hash))],
  ]);
  const ps = manifests.flatMap((m) => (m.provenance ? [m.provenance] : []));
  if (ps.length === 0) return meta;
  const once = <T>(items: T[], key: (x: T) => string) => items.filter((x, i) => items.findIndex((y) => key(y) === key(x)) === i);
  const repos = once(ps.flatMap((p) => p.repositories), (r) => r.root);
  const files = once(ps.flatMap((p) => p.files), (f) => f.path);
  meta.set('arrayflow.config_sha256', joined(ps.map((p) => p.config_sha256)));
  meta.set('arrayflow.git', JSON.stringify(repos.map((r) => ({ root: r.root, holds: r.holds, commit: r.commit, branch: r.branch, dirty_count: r.dirty_count }))));
  meta.set('arrayflow.files', JSON.stringify(files.map((f) => ({ role: f.role, path: f.path, sha256: f.sha256 }))));
  return meta;
}
