// A three-stage ensemble (nested, then sequential) and the checks of its dataset, shared by the local and Slurm tests.
import { join } from 'node:path';
import type { Test } from 'tap';
import { behaveSim, duckQuery } from './ensemble.js';

/** Three stages: A samples x (x = 3 fails), B crosses every A row with h, C reads B's kept result file. */
export function threeStages(executor: string): string {
  return `name: chain
ensemble_dir: ens
inputs: { copy: [${JSON.stringify(behaveSim)}] }
${executor}
stages:
  - name: A
    command: [node, behave.mjs, "{mode}", "{x}"]
    parameters: { x: { int: [1, 3] }, mode: [ok, exit3] }
    sampling: { method: list, points: [{ x: 1, mode: ok }, { x: 2, mode: ok }, { x: 3, mode: exit3 }], seed: 9 }
  - name: B
    parameters: { h: [10, 20] }
    sampling: { method: grid }
    command: [node, behave.mjs, ok, "{A.y}", "{h}"]
    keep: [result.json]
  - name: C
    command: [node, behave.mjs, cat, B/result.json, "{A.x}"]
`;
}

interface Row {
  stage: string;
  stage_task: bigint;
  status: string;
  reason: string | null;
  [k: string]: unknown;
}

/** Checks the root dataset of threeStages(): 3 + 6 + 6 rows, values carried down the chain, upstream failures. */
export async function checkThreeStages(t: Test, ens: string): Promise<void> {
  const rows = (await duckQuery(`select * from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`)) as Row[];
  const of = (stage: string) => rows.filter((r) => r.stage === stage);
  t.same(rows.map((r) => r.stage), [...'AAABBBBBBCCCCCC'], 'A, then B = A x h (3 x 2), then C = one per B row');
  t.same(of('A').map((r) => [r.x, r.status]), [[1n, 'done'], [2n, 'done'], [3n, 'failed']]);
  for (const b of of('B')) {
    const a = of('A')[Number(b['A.task'])];
    if (a.status === 'done') {
      t.equal(b.status, 'done');
      t.equal(b.y, 2 * Number(a.y), 'B ran on its A row: y = 2 * A.y');
      t.equal(b['A.x'], Number(a.x), 'the A row is in the B row (lineage)');
    } else {
      t.equal(b.status, 'failed');
      t.match(b.reason, /^upstream failed: A task 2: exit code 3$/);
    }
  }
  t.same(of('B').map((r) => [Number(r['A.task']), Number(r.h)]), [[0, 10], [0, 20], [1, 10], [1, 20], [2, 10], [2, 20]]);
  for (const c of of('C')) {
    const b = of('B')[Number(c['B.task'])];
    if (b.status === 'done') {
      t.equal(c.status, 'done');
      // C read B's kept result.json through scratch/B/ (the upstream task's outputs, linked in)
      t.equal(JSON.parse(String(c.text)).y, b.y, "C read its B row's kept file");
      t.equal(c['B.y'], b.y);
      t.equal(c['A.x'], b['A.x'], 'lineage reaches two stages down');
      t.equal(c['A.task'], b['A.task'], 'lineage reaches two stages down');
    } else {
      t.equal(c.status, 'failed');
      t.match(c.reason, /^upstream failed: B task \d: upstream failed: A task 2: exit code 3$/);
    }
  }
}
