// A three-stage ensemble (nested, then sequential) on the real test Slurm: later stages are submitted at once with
// job dependencies on the upstream's jobs, so the chain finishes on the cluster after the controller is killed.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { plan, resume } from '../../src/index.js';
import { readJournal } from '../../src/journal/journal.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readRecordFiles } from '../../src/records/read.js';
import { RecordWriter } from '../../src/records/writer.js';
import { runEnsemble } from '../../src/run/run.js';
import { behaveSim, cli, dropTapHooks, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { requireSlurm, slurmEnv } from '../helpers/slurm.js';
import { checkThreeStages, threeStages } from '../helpers/stages.js';

dropTapHooks();

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const submittedIds = async (stageDir: string) =>
  (await readJournal(join(stageDir, 'journal.ndjson'))).flatMap((e) => (e.event === 'submitted' ? [e.job_id] : []));

const recordCount = async (stageDir: string) => (await readRecordFiles(join(stageDir, 'results'))).records.length;

/** Start and end (epoch s) of every array element of the jobs `ids`, from sacct. */
async function spans(ids: string[]): Promise<Array<{ start: number; end: number }>> {
  const r = await execa('sacct', ['-n', '-X', '-P', '-j', ids.join(','), '-o', 'JobID,Start,End'], { env: slurmEnv() });
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('|'))
    .map(([, start, end]) => ({ start: Date.parse(start) / 1000, end: Date.parse(end) / 1000 }));
}

t.test('stages on Slurm: afterany dependencies, the chain completes with the controller killed, resume submits nothing', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const config = writeConfig(dir, threeStages('executor: { type: slurm, resources: { time: "00:05:00", mem: 200M } }'));
  const ens = join(dir, 'ens');
  const stage = (s: string) => join(ens, 'stages', s);

  const controller = execa(process.execPath, [cli, 'run', config, '--no-progress'], { reject: false, env: slurmEnv(), stdin: 'ignore' });
  try {
    // every stage submits at once (B and C wait on the scheduler, not in the controller)
    await waitFor('the three stages to submit', async () => (await submittedIds(stage('C'))).length > 0, 120_000);
  } finally {
    controller.kill('SIGKILL');
  }
  await controller;
  const ids = { A: await submittedIds(stage('A')), B: await submittedIds(stage('B')), C: await submittedIds(stage('C')) };
  t.same([ids.A.length, ids.B.length, ids.C.length], [1, 1, 1], 'one array job per stage');
  const script = (s: string) => readFileSync(join(stage(s), 'plan', 'scripts', readdirSync(join(stage(s), 'plan', 'scripts'))[0]), 'utf8');
  t.notMatch(script('A'), /--dependency/);
  t.match(script('B'), `#SBATCH --dependency=afterany:${ids.A[0]}\n`);
  t.match(script('C'), `#SBATCH --dependency=afterany:${ids.B[0]}\n`);

  // no controller: the wrappers of B and C read their upstream rows themselves; upstream failures are rows too
  await waitFor('every task of C to have a record', async () => (await recordCount(stage('C'))) >= 6, 240_000);
  t.equal(await recordCount(stage('A')), 3);
  t.equal(await recordCount(stage('B')), 6);

  // the scheduler held each stage until its upstream had ended; the accounting database may lag the records (an element
  // still without its End there: 'Unknown'), so wait until it has every element's start and end
  const all = [...ids.A, ...ids.B, ...ids.C];
  await waitFor('sacct to have every element\'s start and end', async () => (await spans(all)).every((x) => Number.isFinite(x.start) && Number.isFinite(x.end)), 60_000);
  const [a, b, c] = await Promise.all([spans(ids.A), spans(ids.B), spans(ids.C)]);
  const shown = JSON.stringify({ a, b, c });
  t.ok(Math.max(...a.map((x) => x.end)) <= Math.min(...b.map((x) => x.start)), `B started after every A element ended: ${shown}`);
  t.ok(Math.max(...b.map((x) => x.end)) <= Math.min(...c.map((x) => x.start)), `C started after every B element ended: ${shown}`);

  const resumed = await runCli(['resume', ens, '--no-progress'], { env: slurmEnv() as Record<string, string> });
  t.equal(resumed.exitCode, 3, resumed.stderr);
  t.notMatch(resumed.stdout, /submitted/, 'resume found every job in the journal and submitted nothing');
  t.match(resumed.stdout, /10 done, 5 failed, 0 pending/);
  await checkThreeStages(t, ens);
});

t.test('an upstream retry on Slurm: the downstream task that failed on it runs again and ends done', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: heal
ensemble_dir: ens
inputs: { copy: [${JSON.stringify(behaveSim)}] }
executor: { type: slurm, retries: 1, resources: { time: "00:05:00", mem: 200M } }
stages:
  - name: A
    command: [node, behave.mjs, "{mode}", "{x}"]
    parameters: { x: { int: [1, 2] }, mode: [ok, flaky] }
    sampling: { method: list, points: [{ x: 1, mode: ok }, { x: 2, mode: flaky }] }
  - name: B
    command: [node, behave.mjs, ok, "{A.y}"]
`,
  );
  const result = await runEnsemble(config, { tickMs: { min: 300, max: 2000 } });
  t.same([result.done, result.failed], [4, 0], 'every row of both stages done');
  const rows = await duckQuery(`select stage, stage_task, attempt, y from read_parquet('${join(dir, 'ens', 'dataset.parquet')}') order by task_id`);
  t.same(rows.map((r) => [r.stage, Number(r.stage_task), r.y]), [['A', 0, 2], ['A', 1, 4], ['B', 0, 4], ['B', 1, 8]], 'B ran on the retried A row');
  t.equal(rows[1].attempt, 2, 'A task 1 needed its retry');
  const retried = (await readJournal(join(dir, 'ens', 'stages', 'B', 'journal.ndjson'))).filter((e) => e.event === 'retry');
  // B's task 1 ran either after the A retry (attempt 1) or before it, failing "upstream failed" and then revived
  if (rows[3].attempt === 2) t.same(retried.map((e) => (e.event === 'retry' ? e.tasks : [])), [[[1, 1]]], 'revived once, journalled');
  else t.same(retried, [], 'nothing to revive');
});

t.test('afterok on Slurm with an upstream element killed (out of memory): the cancelled hint names the stage directory to retry', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: okchain
ensemble_dir: ens
inputs: { copy: [${JSON.stringify(behaveSim)}] }
executor: { type: slurm, resources: { time: "00:05:00", mem: 200M } }
stages:
  - name: A
    command: [node, behave.mjs, "{mode}", "{x}"]
    parameters: { x: { int: [1, 600] }, mode: [ok, hog] }
    sampling: { method: list, points: [{ x: 1, mode: ok }, { x: 600, mode: hog }] }
  - name: B
    command: [node, behave.mjs, ok, "{A.y}"]
    depend: afterok
`,
  );
  const r = await runCli(['run', config, '--no-progress'], { timeout: 180_000 });
  t.equal(r.exitCode, 3, r.stderr);
  const ens = join(dir, 'ens');
  const stageB = join(ens, 'stages', 'B');
  t.match(r.stdout, /1 done, 3 failed, 0 pending/, "A's out-of-memory element, and B's two elements cancelled by the dependency it broke");
  t.match(r.stdout, `2 tasks were cancelled; run them again with: arrayflow retry ${stageB} --failed --reason cancelled`);
  t.notMatch(r.stdout, `arrayflow retry ${ens} --failed`, 'not the root, which has no plan to retry');
  const reasons = await duckQuery(`select reason from read_parquet('${join(stageB, 'dataset.parquet')}')`);
  t.equal(reasons.length, 2);
  for (const { reason } of reasons) t.match(reason, /^cancelled: .*; this stage waits on its upstream with depend: afterok, and the scheduler cancels its jobs when an upstream element did not succeed$/, 'the reason says why Slurm cancelled it');
  // the hint works: B runs again, its task on the done A row ends done, the other fails on its upstream
  const again = await runCli(['retry', stageB, '--failed', '--reason', 'cancelled', '--no-progress'], { timeout: 180_000 });
  t.equal(again.exitCode, 3, again.stderr);
  t.match(again.stdout, /1 done, 1 failed, 0 pending/);
});

t.test('on Slurm the stages run at once and say their plans in stage order, whichever is ready first', async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  const tasks = 5_000;
  const config = writeConfig(
    dir,
    `name: order
ensemble_dir: ens
inputs: { copy: [${JSON.stringify(behaveSim)}] }
executor: { type: slurm }
stages:
  - name: A
    command: [node, behave.mjs, ok, "{x}"]
    parameters: { x: { uniform: [0, 1] } }
    sampling: { method: random, samples: ${tasks}, seed: 3 }
  - name: B
    command: [node, behave.mjs, ok, "{A.y}"]
  - name: C
    command: [node, behave.mjs, ok, "{B.y}"]
`,
  );
  await plan(config);
  // A is done: reading its records makes it the last of the three ready to say its plan
  const a = new EnsembleLayout(join(dir, 'ens', 'stages', 'A'));
  const writer = new RecordWriter(a.recordFile('e0-a1-1'));
  const now = new Date().toISOString();
  for (let task = 0; task < tasks; task++) {
    writer.write({ task, attempt: 1, status: 'done', reason: null, exit_code: 0, signal: null, host: 'vm', job_id: `1_${task}`, start: now, end: now, duration_s: 0.01, result: { y: task } });
  }
  writer.close();
  const said: string[] = [];
  // stopped from the start: each stage says its plan, then submits nothing
  const r = await resume(join(dir, 'ens'), { signal: AbortSignal.abort(), onPlanned: (p) => said.push(`${basename(p.ensembleDir)} ${p.toRun}`) });
  t.same(said, [`A 0`, `B ${tasks}`, `C ${tasks}`], 'A, B, C, as the stages are listed (and as the local executor says them)');
  t.equal(r.done, tasks);
});
