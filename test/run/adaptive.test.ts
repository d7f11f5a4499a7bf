// Adaptive sampling through the CLI with the shipped example (examples/adaptive): rounds up to the budget, new
// points that follow the results, and a proposer's bad output or failure quoted without losing a row.
import t from 'tap';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { packageRoot } from '../../src/util/paths.js';
import { duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';

// the two subtests share nothing and spend much of their time waiting on a proposer or a collect
t.jobs = 2;

const example = join(packageRoot, 'examples', 'adaptive');

/** The example config in `dir` (its files copied next to it), with the ensemble in dir/ens and `proposer` as the hook. */
function exampleConfig(dir: string, proposer = '[node, refine.mjs, "{dataset_csv}", "{count}"]'): string {
  for (const f of ['step.mjs', 'refine.mjs']) copyFileSync(join(example, f), join(dir, f));
  const text = readFileSync(join(example, 'adaptive.yaml'), 'utf8')
    .replace(/^ensemble_dir: .*$/m, 'ensemble_dir: ens')
    .replace(/^ {2}command: .*$/m, `  command: ${proposer}`)
    .replace('executor: { type: local }', 'executor: { type: local, workers: 2 }');
  return writeConfig(dir, text);
}

async function newPoints(ens: string): Promise<number[]> {
  const rows = await duckQuery(`select x from read_parquet('${join(ens, 'dataset.parquet')}') where task_id >= 40 order by task_id`);
  return rows.map((r) => Number(r.x));
}

t.test('the adaptive example runs to its budget, and its new points go where the results change', async (t) => {
  const near: Record<string, number[]> = {};
  // the two ensembles share nothing: run them at once (each waits on its proposer and its collect in turn)
  const base = t.testdir();
  await Promise.all(['0.62', '0.3'].map(async (at) => {
    const dir = join(base, `step-${at}`);
    mkdirSync(dir);
    const r = await runCli(['run', exampleConfig(dir), '--no-progress'], { env: { ...process.env, STEP_AT: at } as Record<string, string> });
    t.equal(r.exitCode, 0, r.stderr);
    t.match(r.stdout, /adaptive round 6: 8 new points \(64\/64 tasks\)/);
    const ens = join(dir, 'ens');
    const all = await duckQuery(`select count(*) as n, count(distinct x) as xs, count(*) filter (status = 'done') as done from read_parquet('${join(ens, 'dataset.parquet')}')`);
    t.same(all, [{ n: 64n, xs: 64n, done: 64n }], 'the budget: 64 rows, every point new, all done');
    const rounds = (await readJournal(join(ens, 'journal.ndjson'))).filter((e) => e.event === 'adaptive');
    t.same(rounds.map((e) => (e.event === 'adaptive' ? [e.round, e.from, e.to] : [])), [1, 2, 3, 4, 5, 6].map((k) => [k, 8 + 8 * k, 16 + 8 * k]));
    near[at] = await newPoints(ens);
  }));
  // from round 4 on (tasks 40-63) the proposer has found the step: its points crowd around wherever it is
  const within = (xs: number[], at: number) => xs.filter((x) => Math.abs(x - at) < 0.05).length / xs.length;
  t.ok(within(near['0.62'], 0.62) >= 0.8, `step at 0.62: ${near['0.62'].join(' ')}`);
  t.ok(within(near['0.3'], 0.3) >= 0.8, `step at 0.3: ${near['0.3'].join(' ')}`);
  t.ok(within(near['0.62'], 0.3) === 0 && within(near['0.3'], 0.62) === 0, 'the new points depend on the results');
});

t.test("a proposer's bad point or failure is quoted; the rows so far stay, and resume goes on once it is fixed", async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'bad.mjs'), 'console.log(JSON.stringify({ x: 0.5 }));\nconsole.log(JSON.stringify({ x: 2 }));\n');
  const bad = await runCli(['run', exampleConfig(dir, '[node, bad.mjs]'), '--no-progress']);
  t.equal(bad.exitCode, 1, bad.stderr);
  t.match(bad.stderr, /adaptive round 1 \(node bad\.mjs\): point 2: parameter "x": 2 is outside \[0, 1\]/);
  const ens = join(dir, 'ens');
  t.same(await duckQuery(`select count(*) as n from read_parquet('${join(ens, 'dataset.parquet')}')`), [{ n: 16n }], 'the initial design is collected');

  writeFileSync(join(dir, 'bad.mjs'), 'process.stderr.write("cannot read the dataset\\n"); process.exit(4);\n');
  const failed = await runCli(['resume', ens, '--no-progress']);
  t.not(failed.exitCode, 0);
  t.match(failed.stderr, /adaptive round 1 \(node bad\.mjs\) exited 4:\ncannot read the dataset/);

  // fixed: resume asks again, runs the new points, and stops when the proposer has nothing more to say
  writeFileSync(join(dir, 'bad.mjs'), 'if (process.argv[2] === "1") console.log(JSON.stringify({ x: 0.5 }));\n');
  writeFileSync(join(dir, 'config.yaml'), readFileSync(join(dir, 'config.yaml'), 'utf8').replace('[node, bad.mjs]', '[node, bad.mjs, "{round}"]'));
  const fixed = await runCli(['run', join(dir, 'config.yaml'), '--no-progress']);
  t.equal(fixed.exitCode, 0, fixed.stderr);
  t.match(fixed.stdout, /adaptive round 1: 1 new points \(17\/64 tasks\)/);
  t.same(await duckQuery(`select count(*) as n from read_parquet('${join(ens, 'dataset.parquet')}')`), [{ n: 17n }]);
});
