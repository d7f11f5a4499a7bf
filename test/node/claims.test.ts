// Claimed tasks (src/node/claims.ts): element processes racing for one submission's blocks run every task once; a requeued element retakes its own claims only.
import t from 'tap';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { claimedTasks } from '../../src/node/claims.js';
import { formatClaim } from '../../src/records/claims.js';
import { readRecordFiles } from '../../src/records/read.js';
import { cli } from '../helpers/ensemble.js';
import { planIn } from '../helpers/plan.js';

t.test('three element processes on one claims directory (two of them the same element) run each of 40 tasks exactly once', async (t) => {
  const dir = t.testdir({
    scratch: {},
    // element 0's tasks (0-19) take 0.2 s (element 1's none: robust to a loaded machine), so element 1 runs out first and steals from their end
    'sim.sh': 'echo "$1" >> "$RUN_LOG"; if [ "$1" -lt 20 ]; then sleep 0.2; fi; echo "{\\"i\\": $1}" > result.json\n',
  });
  const { layout } = await planIn(
    dir,
    `name: race
ensemble_dir: ens
command: [sh, sim.sh, "{i}"]
inputs: { copy: [sim.sh] }
parameters: { i: { int: [0, 39] } }
sampling: { method: grid }
executor: { type: slurm, scratch: ${JSON.stringify(join(dir, 'scratch'))}, array: { bundle: 20 } }
`,
  );
  const log = join(dir, 'runs.log');
  writeFileSync(log, '');
  const element = (index: number) =>
    execa(process.execPath, [cli, 'task', layout.root, '--index', String(index), '--claims', '0000', '--elements', '2'], {
      env: { RUN_LOG: log, NODE_OPTIONS: '' },
      stdin: 'ignore',
    });
  const ends = await Promise.all([element(0), element(1), element(0)]);
  t.same(ends.map((e) => e.exitCode), [0, 0, 0]);

  const runs = readFileSync(log, 'utf8').trim().split('\n').map(Number).sort((a, b) => a - b);
  t.same(runs, Array.from({ length: 40 }, (_, i) => i), 'every task ran, none twice');
  const { records } = await readRecordFiles(layout.resultsDir);
  t.same(records.map((r) => r.task).sort((a, b) => a - b), runs, 'one record per task');
  t.ok(records.every((r) => r.status === 'done'));
  // bundle 20: blocks of 2 tasks, 10 per element
  t.equal(readdirSync(layout.claimsDir('0000')).length, 20, 'one claim file per block');
  const e1 = readdirSync(layout.resultsDir).find((w) => w.startsWith('e1-')) as string;
  const e1Tasks = readFileSync(join(layout.resultsDir, e1), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { task: number }).task);
  t.ok(e1Tasks.some((task) => task < 20), `element 1 stole from element 0's slice (ran ${e1Tasks.join(',')})`);
});

t.test('a started element retakes the claims its own earlier run made (a requeue, same job id), never a sibling\'s', async (t) => {
  const dir = t.testdir({ claims: {} });
  const claims = join(dir, 'claims');
  mkdirSync(claims, { recursive: true });
  writeFileSync(join(claims, '0.0'), formatClaim({ element: 0, by: '77_0' }));
  writeFileSync(join(claims, '0.1'), formatClaim({ element: 1, by: '77_1' }));
  const scope = (by: string) => ({ dir: claims, element: 0, first: 0, count: 2, bundle: 2, by, sliceOf: (e: number) => [2 * e, 2 * e + 1] });
  // block 0.0 is its own (retaken), 0.1 a sibling's (skipped); then it steals element 1's blocks, the last first
  t.same([...claimedTasks(scope('77_0'))], [0, 3, 2]);
  t.same(readdirSync(claims).sort(), ['0.0', '0.1', '1.0', '1.1']);
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, '0.0'), formatClaim({ element: 0, by: '77_0' }));
  t.same([...claimedTasks({ ...scope('78_0'), dir: other })], [1, 3, 2], 'another job of element 0 leaves block 0 to its claimer');
});

t.test('an element whose time is nearly up takes no block from a sibling, and leaves it unclaimed for the others', async (t) => {
  const claims = join(t.testdir(), 'claims');
  const asked: number[] = [];
  const scope = { dir: claims, element: 0, first: 0, count: 2, bundle: 4, by: '80_0', sliceOf: (e: number) => [4 * e, 4 * e + 1, 4 * e + 2, 4 * e + 3] };
  // blocks of 1 task (bundle 4 → size 1): its own four, then the time check before each steal
  const got = [...claimedTasks({ ...scope, mayTake: (n) => (asked.push(n), asked.length <= 1) })];
  t.same(got, [0, 1, 2, 3, 7], 'its own blocks, then one stolen block, then no more');
  t.same(asked, [1, 1], 'asked with the block\'s task count before each steal');
  t.same(readdirSync(claims).sort(), ['0.0', '0.1', '0.2', '0.3', '1.3'], 'the blocks it did not take stay unclaimed');
  t.same([...claimedTasks({ ...scope, element: 1, by: '80_1' })], [4, 5, 6], 'the sibling runs the rest of its own slice');
});
