// Visible re-runs on the real test Slurm: `scontrol requeue` of a running and of a finished array element runs their
// tasks again; the dataset keeps one row per task, the requeued ones with runs = 2, and the journal names each once.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
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

t.test('scontrol requeue of a running element, then of a finished one: rows = tasks, runs = 2 for theirs, one reran event each', { timeout: 120_000 }, async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  const t0 = Date.now();
  const log = join(dir, 'started.log');
  const config = writeConfig(
    dir,
    behaveConfig({ name: 'requeue', modes: ['sleep'], xs: [2, 2.1, 2.2, 2.3], executor: 'executor: { type: slurm, poll: 5, resources: { time: "00:05:00", mem: 200M }, array: { bundle: 1 } }' }),
  );
  const ens = join(dir, 'ens');
  const env = { ...slurmEnv(), BEHAVE_LOG: log } as Record<string, string>;
  let jobId: string | undefined;
  t.teardown(async () => {
    if (jobId) await execa('scancel', [jobId], { env, reject: false });
  });
  const states = async (elements: string[]) => String((await execa('squeue', ['-h', '-t', 'all', '-j', elements.join(','), '-o', '%T'], { env, reject: false })).stdout).trim().split('\n');
  // Slurm delays a requeued job's start (BeginTime, ~10 s); starttime=now, once it is pending again, lets it run sooner.
  // Not at once: slurmd refuses a launch whose credential is from the second its kill revoked the job's credentials
  // ("Job N already killed, do not launch batch job": the element ends FAILED without running), so 2 s later.
  const requeue = async (element: string) => {
    await execa('scontrol', ['requeue', element], { env });
    await until(`${element} is pending again`, async () => (await states([element]))[0] === 'PENDING');
    await new Promise((r) => setTimeout(r, 2000));
    await execa('scontrol', ['update', `jobid=${element}`, 'starttime=now'], { env });
  };
  const run = runCli(['run', config, '--no-progress'], { env });

  // 1. element 1 is requeued while its simulation sleeps: its wrapper records the SIGTERM, the element runs again
  const started = (task: number) => existsSync(log) && readFileSync(log, 'utf8').split('\n').some((l) => l.startsWith(`${task} `));
  await until('task 1 started', async () => started(1));
  jobId = /"job_id":"(\d+)"/.exec(readFileSync(join(ens, 'journal.ndjson'), 'utf8'))?.[1];
  await requeue(`${jobId}_1`);
  const first = await run;
  t.equal(first.exitCode, 0, first.stderr);
  t.match(first.stdout, /4 done, 0 failed, 0 pending/, 'the controller waited for the requeued element');
  const t1 = Date.now();

  // 2. element 2 is requeued once it completed (the run ends on the records: Slurm may still be completing it)
  const second = `${jobId}_2`;
  await until('element 2 completed', async () => (await states([second])).every((s) => s === 'COMPLETED'));
  await requeue(second);
  await until('element 2 ran again', async () => (await readRecordFiles(join(ens, 'results'))).records.filter((r) => r.task === 2).length === 2 && (await states([second])).every((s) => s === 'COMPLETED'));
  const c = await runCli(['collect', ens], { env });
  t.equal(c.exitCode, 0, c.stderr);
  const t2 = Date.now();

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
  const { records } = await readRecordFiles(join(ens, 'results'));
  t.match(records.filter((r) => r.task === 1).map((r) => r.status).sort(), ['done', 'failed'], 'task 1: the run the requeue killed, and the one that finished');
  t.equal(readFileSync(join(ens, 'dataset.csv'), 'utf8').trim().split('\n').length, 5, 'dataset.csv: header + one line per task');
  const reran = (await readJournal(join(ens, 'journal.ndjson'))).filter((e) => e.event === 'reran');
  t.match(reran, [{ tasks: [[1, 2]] }, { tasks: [[2, 2]] }], 'the run named task 1, the later collection task 2 only');
  t.equal(reran.length, 2);
  t.comment(`run with a requeue ${((t1 - t0) / 1000).toFixed(1)} s, requeue of a finished element and collect ${((t2 - t1) / 1000).toFixed(1)} s`);
});
