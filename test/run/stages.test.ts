// Multi-stage ensembles on the local executor: a nested stage (crossed with the upstream rows) and a sequential
// runner (one to one), upstream values and kept files reaching the next stage, upstream failures, resume; and the
// order in which stages running at once say their plans (StageOrder; on the real Slurm in test/executor/slurm-stages.test.ts).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { behaveSim, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { checkThreeStages, threeStages } from '../helpers/stages.js';
import { packageRoot } from '../../src/util/paths.js';
import { summary } from '../../src/index.js';
import { StageOrder } from '../../src/run/stages.js';

// independent ensembles: the shipped example (the longest) runs beside the other two
t.jobs = 2;

t.test('a nested stage and a sequential runner on the local executor: rows, lineage, upstream failures, resume', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, threeStages('executor: { type: local, workers: 2 }'));
  const log = join(dir, 'runs.log');
  const env = { ...process.env, BEHAVE_LOG: log } as Record<string, string>;
  const r = await runCli(['run', config, '--no-progress'], { env });
  t.equal(r.exitCode, 3, r.stderr); // 5 tasks fail (their upstream did)
  t.match(r.stdout, /planned 3 tasks in .*stages\/A; 3 to run/);
  t.match(r.stdout, /planned 6 tasks in .*stages\/B; 6 to run/);
  t.match(r.stdout, /10 done, 5 failed, 0 pending/);
  const ens = join(dir, 'ens');
  await checkThreeStages(t, ens);
  // summary --by stage: each stage's own results only (C's is text), not ids, place, run metadata or upstream values
  const s = await summary(ens, { by: ['stage'] });
  t.same(s.columns, ['y']);
  t.same(s.groups.map((g) => [g.key.stage, g.done, g.stats.y.count]), [['A', 2, 2], ['B', 4, 4], ['C', 4, 0]]);
  t.same((await summary(join(ens, 'stages', 'C'))).columns, [], "a later stage's own directory: not A.x, B.y, B.task");
  // the command says the same as the library: the root's tasks by stage, not an imported dataset of mixed columns
  const cli = await runCli(['summary', ens]);
  t.match(cli.stdout, /^chain: 15 tasks: 10 done, 5 failed, 0 pending \(from dataset\.parquet\)\n/);
  t.match((await runCli(['summary', ens, '--records'])).stderr, /multi-stage ensemble \(A, B, C\).*stages\/<stage> --records/, 'a root has no records of its own');
  // C's result is text: no row of statistics
  t.same(cli.stdout.trim().split('\n').slice(2).map((l) => l.split(/\s+/).slice(0, 5)), [['A', '2', '1', 'y', '2'], ['B', '4', '2', 'y', '4']], cli.stdout);
  t.notMatch(r.stdout, /\b(task_id|batch|point|exit_code|attempt|duration_s|task_seed|A\.\w+)\b/, 'the summary run prints at the end');
  // the upstream failures never started a simulation: 3 A + 4 B + 4 C runs
  t.equal(readFileSync(log, 'utf8').trim().split('\n').length, 11);

  const status = await runCli(['status', ens]);
  t.match(status.stdout, /^B: 6 tasks: 4 done, 2 failed, 0 pending/m);

  // run again: every stage resumes with nothing to run, and the dataset is the same
  const again = await runCli(['resume', ens, '--no-progress'], { env });
  t.equal(again.exitCode, 3, again.stderr);
  t.match(again.stdout, /resuming 6 tasks in .*stages\/C; 0 to run/);
  t.equal(readFileSync(log, 'utf8').trim().split('\n').length, 11, 'nothing ran twice');
  await checkThreeStages(t, ens);
});

t.test('three sequential runners: each sample goes through A, then B on A, then C on B', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: runners
ensemble_dir: ens
inputs: { copy: [${JSON.stringify(behaveSim)}] }
executor: { type: local, workers: 2 }
stages:
  - name: A
    command: [node, behave.mjs, ok, "{x}"]
    parameters: { x: { int: [1, 4] } }
    sampling: { method: grid, seed: 2 }
  - name: B
    command: [node, behave.mjs, ok, "{A.y}"]
  - name: C
    command: [node, behave.mjs, ok, "{B.y}"]
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  const rows = await duckQuery(`select stage, stage_task, x, "A.task", "B.task", "A.y", "B.y", y from read_parquet('${join(dir, 'ens', 'dataset.parquet')}') order by task_id`);
  const xs = [1, 2, 3, 4];
  const row = (stage: string, i: number, cols: Record<string, unknown>) => ({ stage, stage_task: BigInt(i), x: null, 'A.task': null, 'B.task': null, 'A.y': null, 'B.y': null, ...cols });
  const expected = [
    ...xs.map((x, i) => row('A', i, { x: BigInt(x), y: 2 * x })),
    ...xs.map((x, i) => row('B', i, { 'A.task': BigInt(i), 'A.y': 2 * x, y: 4 * x })),
    ...xs.map((x, i) => row('C', i, { 'A.task': BigInt(i), 'B.task': BigInt(i), 'A.y': 2 * x, 'B.y': 4 * x, y: 8 * x })),
  ];
  t.same(rows, expected, 'one row per sample and runner, in sequence: y = 2x, 4x, 8x');
  const kv = await duckQuery(`select decode(value) as v from parquet_kv_metadata('${join(dir, 'ens', 'dataset.parquet')}') where decode(key) = 'arrayflow.task_hash'`);
  t.match(kv[0]?.v, /^[0-9a-f]{64},[0-9a-f]{64},[0-9a-f]{64}$/, 'the provenance of the three stages in the root dataset');
});

t.test('the shipped example (examples/stages) runs: 16 epidemics, 48 interventions, 48 averted rows', async (t) => {
  const dir = t.testdir();
  const example = join(packageRoot, 'examples', 'stages');
  const text = readFileSync(join(example, 'pipeline.yaml'), 'utf8')
    .replace(/^ensemble_dir: .*$/m, 'ensemble_dir: ens')
    .replace('[../quickstart/sim.mjs, averted.mjs]', JSON.stringify([join(example, '..', 'quickstart', 'sim.mjs'), join(example, 'averted.mjs')]));
  const r = await runCli(['run', writeConfig(dir, text), '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  const rows = await duckQuery(
    `select stage, count(*) as n, count(*) filter (status = 'done') as done, min(averted_share) as lo, max(averted_share) as hi
     from read_parquet('${join(dir, 'ens', 'dataset.parquet')}') group by stage order by stage`,
  );
  t.same(rows.map((x) => [x.stage, x.n, x.done]), [['averted', 48n, 48n], ['epidemic', 16n, 16n], ['intervention', 48n, 48n]]);
  t.ok(Number(rows[0].lo) > -1 && Number(rows[0].hi) <= 1, 'averted_share is a share of the epidemic');
});

t.test('StageOrder: reports passed on in stage order; a stage that ends without one holds up no other', async (t) => {
  const out: string[] = [];
  const order = new StageOrder<string>((r) => out.push(r));
  order.say(2, 'C');
  order.say(1, 'B');
  t.same(out, [], 'B and C wait for A');
  order.end(0); // A failed before it could say its plan
  t.same(out, ['B', 'C']);
  order.say(0, 'A, too late');
  order.end(1);
  order.say(3, 'D');
  t.same(out, ['B', 'C', 'D'], 'a report after its stage was passed over is dropped; an end after the report changes nothing');
});

