// The ensemble directory as the cluster sees it (ClusterSide), and its same-host form for a controller on the login node.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';

/**
 * The ensemble directory as the cluster sees it. On a login node it is the controller's own directory; from a
 * workstation (SSH) it is a copy on the cluster's shared filesystem, and `sync` brings new records back.
 */
export interface ClusterSide {
  /** Paths as compute nodes see them: scripts, logs and the wrapper's ensemble argument use these. */
  layout: EnsembleLayout;
  /** The Node binary and arrayflow entry point on the cluster. */
  node: string;
  arrayflow: string;
  /** Writes a file at `rel` (relative to the ensemble root) both locally and on the cluster. */
  writeFile(rel: string, content: string, mode?: number): Promise<void>;
  /** Reads a cluster file at `rel` ('' when it does not exist). */
  readFile(rel: string): Promise<string>;
  /**
   * Creates the cluster file `rel` with `content` by exclusive create (O_CREAT|O_EXCL: a claim, records/claims.ts) unless
   * it exists; returns the file's content afterwards: `content` when this call (or a retry of it) created it.
   */
  createExclusive(rel: string, content: string): Promise<string>;
  /** Brings the cluster's new record bytes into the local results dir (no-op when they are the same dir). */
  sync(): Promise<void>;
}

/** The cluster side of a controller running on the login node: one directory, nothing to copy. */
export function sameHostCluster(layout: EnsembleLayout, plan: PlanFile): ClusterSide {
  return {
    layout,
    node: plan.node,
    arrayflow: plan.arrayflow,
    async writeFile(rel, content, mode) {
      const path = join(layout.root, rel);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, mode === undefined ? undefined : { mode });
    },
    readFile: (rel) => readFile(join(layout.root, rel), 'utf8').catch(() => ''),
    async createExclusive(rel, content) {
      const path = join(layout.root, rel);
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(path, content, { flag: 'wx' });
        return content;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        return readFile(path, 'utf8');
      }
    },
    sync: async () => undefined,
  };
}
