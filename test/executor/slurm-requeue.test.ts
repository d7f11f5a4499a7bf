// Visible re-runs on the real test Slurm: `scontrol requeue` of finished array elements runs their tasks again;
// the dataset keeps one row per task, the requeued ones with runs = 2, and the journal names them once.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { readJournal } from '../../src/journal/journal.js';
import { readRecordFiles } from '../../src/records/read.js';
import { behaveConfig, dropTapHooks, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();

/** Polls `probe` every 200 ms until it says true; throws after 30 s. */
async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 30_000; !(await probe()); await new Promise((r) => setTimeout(r, 200))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
  }
}

t.test('scontrol requeue of two finished elements: rows = tasks, runs = 2 for theirs, one reran event', { timeout: 120_000 }, async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  const t0 = Date.now();
  const config = writeConfig(
    dir,
    behaveConfig({ name: 'requeue', modes: ['ok'], xs: [1, 2, 3, 4], executor: 'executor: { type: slurm, poll: 5, resources: { time: "00:05:00", mem: 200M }, array: { bundle: 1 } }' }),
  );
  const ens = join(dir, 'ens');
  const env = slurmEnv() as Record<string, string>;
  let jobId: string | undefined;
  t.teardown(async () => {
    if (jobId) await execa('scancel', [jobId], { env, reject: false });
  });
  const run = await runCli(['run', config, '--no-progress'], { env });
  t.equal(run.exitCode, 0, run.stderr);
  jobId = /"job_id":"(\d+)"/.exec(readFileSync(join(ens, 'journal.ndjson'), 'utf8'))?.[1];
  t.ok(jobId, 'the array was submitted');
  const t1 = Date.now();

  const elements = [`${jobId}_1`, `${jobId}_2`];
  const states = async () => String((await execa('squeue', ['-h', '-t', 'all', '-j', elements.join(','), '-o', '%T'], { env, reject: false })).stdout).trim().split('\n');
  // the run ends on the records: the elements may still be completing (scratch removed, epilog); requeue a finished job
  await until('the elements completed', async () => (await states()).every((s) => s === 'COMPLETED'));
  // Slurm delays a requeued job's start (BeginTime); starttime=now lets it run at once
  for (const e of elements) {
    await execa('scontrol', ['requeue', e], { env });
    await execa('scontrol', ['update', `jobid=${e}`, 'starttime=now'], { env });
  }
  // the requeued elements' records (4 + 2), and Slurm saying they ended
  await until('the requeued elements ran again', async () => (await readRecordFiles(join(ens, 'results'))).records.length >= 6 && (await states()).every((s) => s === 'COMPLETED'));
  const t2 = Date.now();
  const c = await runCli(['collect', ens], { env });
  t.equal(c.exitCode, 0, c.stderr);
  const rows = await duckQuery(`select task_id, status, attempt, runs from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.same(
    rows.map((r) => [r.task_id, r.status, r.attempt, r.runs]),
    [
      [0, 'done', 1, 1],
      [1, 'done', 1, 2],
      [2, 'done', 1, 2],
      [3, 'done', 1, 1],
    ],
    'one row per task; the requeued elements ran their task twice',
  );
  const csv = readFileSync(join(ens, 'dataset.csv'), 'utf8').trim().split('\n');
  t.equal(csv.length, 5, 'dataset.csv: header + one line per task');
  const reran = (await readJournal(join(ens, 'journal.ndjson'))).filter((e) => e.event === 'reran');
  t.match(reran, [{ tasks: [[1, 2], [2, 2]] }], 'the journal names the re-run tasks');
  t.equal(reran.length, 1);
  t.comment(`run ${((t1 - t0) / 1000).toFixed(1)} s, requeue to re-run ${((t2 - t1) / 1000).toFixed(1)} s`);
});
