// Who holds an unrecorded task of an array element that ended: the claim of its block (records/claims.ts), so the task's verdict is that of the element that ran it.
import { hostname } from 'node:os';
import { relative } from 'node:path';
import type { Submission } from '../journal/submissions.js';
import type { EnsembleLayout } from '../layout/layout.js';
import { blockSize, claimName, formatClaim, parseClaim } from '../records/claims.js';
import type { ClusterSide } from './cluster-side.js';

/**
 * The holders of blocks of tasks, read from their claim files when an element is settled. A block nobody claimed is
 * claimed by the controller on behalf of the ended element before its verdict is written, so that no live sibling
 * steals (and runs) a task whose failed record is already out; a block that is claimed stays with its claimer.
 */
export class ClaimHolders {
  /** Holder index by `<label>/<claim name>`: a claim never changes once made. */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly layout: EnsembleLayout,
    private readonly cluster: ClusterSide,
    private readonly runId: string,
  ) {}

  /**
   * The index (within submission `s`) of the element that holds the task at position `pos` of the slice of element
   * `index`: its claimer, or `index` itself when it claimed the block, nobody did, or the claim names no sibling.
   * `bundle`: the submission's tasks per element (the block size follows from it, as on the node).
   */
  async holder(s: Submission, index: number, pos: number, bundle: number): Promise<number> {
    const element = s.offset + index;
    const name = claimName(element, Math.floor(pos / blockSize(bundle)));
    const key = `${s.label}/${name}`;
    let holder = this.known.get(key);
    if (holder === undefined) {
      const rel = relative(this.layout.root, this.layout.claimFile(s.label, name));
      const text = await this.cluster.createExclusive(rel, formatClaim({ element, by: `controller-${this.runId}`, host: hostname(), pid: process.pid }));
      // an empty claim: its creator died between create and write, before it could start a task
      const claimer = parseClaim(text)?.element ?? element;
      holder = claimer - s.offset >= 0 && claimer - s.offset < s.count ? claimer - s.offset : index;
      this.known.set(key, holder);
    }
    return holder;
  }
}
