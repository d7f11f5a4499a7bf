// A listed resubmission (a retry) whose sbatch reached the real test Slurm but whose controller was SIGKILLed before
// journalling it: the next controller adopts that job with the task list and size it was submitted with (journalled
// `submitting`), not with a list of what is owed by then (which it would have written over the job's list).
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { type JournalEntry, readJournal } from '../../src/journal/journal.js';
import { readRecordFiles } from '../../src/records/read.js';
import { behaveConfig, dropTapHooks, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { doneRecord } from '../collect/fixtures/ensemble.js';
import { requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();

/** sbatch for the test: the real one with `--hold`, a log line per call; the call's answer never reaches its caller. */
const STALLING_SBATCH = `#!/bin/bash
out=$("$AF_REAL_SBATCH" --hold "$@")
echo "$out" >> "$AF_SHIM_DIR/submitted"
while kill -0 "$PPID" 2>/dev/null; do sleep 0.2; done
exit 1
`;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (const deadline = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
  }
}

t.test('a retry killed between its sbatch and its journal entry: the next controller adopts the job with the list it was submitted with', { timeout: 180_000 }, async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  const shim = join(dir, 'shim');
  mkdirSync(shim);
  writeFileSync(join(shim, 'sbatch'), STALLING_SBATCH);
  chmodSync(join(shim, 'sbatch'), 0o755);
  const realSbatch = (await execa('which', ['sbatch'], { env: slurmEnv() })).stdout.trim();
  const env = slurmEnv() as Record<string, string>;
  const config = writeConfig(dir, behaveConfig({ name: 'adopt', modes: ['ok', 'exit3'], xs: [1, 2], executor: 'executor: { type: slurm, poll: 5, resources: { time: "00:05:00", mem: 200M }, array: { bundle: 1 } }' }));
  const ens = join(dir, 'ens');
  const jobs: string[] = [];
  t.teardown(async () => {
    if (jobs.length > 0) await execa('scancel', jobs, { env, reject: false });
  });

  const first = await runCli(['run', config, '--no-progress'], { env });
  t.equal(first.exitCode, 3, first.stderr);
  const failed = (await readRecordFiles(join(ens, 'results'))).records.filter((r) => r.status === 'failed').map((r) => r.task).sort();
  t.equal(failed.length, 2, 'two tasks failed (exit3)');

  // the retry's sbatch reaches Slurm (held), its answer never comes: SIGKILL the controller there
  const retry = runCli(['retry', ens, '--failed', '--no-progress'], { env: { ...env, PATH: `${shim}:${env.PATH}`, AF_SHIM_DIR: shim, AF_REAL_SBATCH: realSbatch } });
  const jobId = await until('the retry reached Slurm', () => {
    const f = join(shim, 'submitted');
    return existsSync(f) ? readFileSync(f, 'utf8').trim() || undefined : undefined;
  });
  jobs.push(jobId);
  retry.kill('SIGKILL');
  await retry;
  const journal = async () => readJournal(join(ens, 'journal.ndjson'));
  const submitting = (await journal()).filter((e): e is Extract<JournalEntry, { event: 'submitting' }> => e.event === 'submitting');
  t.same(submitting.map((e) => [e.chunk, e.elements, e.attempt]), [['r1', 2, 2]], 'the resubmission was journalled before its sbatch');
  t.notOk((await journal()).some((e) => e.event === 'submitted' && e.chunk === 'r1'), 'and never journalled as submitted');
  const listFile = join(ens, submitting[0].tasks_file);
  const list = readFileSync(listFile, 'utf8');
  t.same(JSON.parse(list), failed, 'its list: the two failed tasks');

  // meanwhile one of them got a record of its attempt 2: what is owed now differs from what the job was given
  writeFileSync(join(ens, 'results', 'by-hand.ndjson'), JSON.stringify({ ...doneRecord(failed[0], 2), job_id: null }) + '\n');
  const resume = runCli(['resume', ens, '--no-progress'], { env });
  const adopted = await until('r1 adopted', async () => (await journal()).find((e) => e.event === 'submitted' && e.chunk === 'r1'));
  t.match(adopted, { job_id: jobId, elements: 2, attempt: 2 }, 'the queued job adopted with the size it was submitted with');
  t.equal(readFileSync(listFile, 'utf8'), list, 'its list not written over');
  await execa('scontrol', ['release', jobId], { env });
  const r = await resume;
  t.equal(r.exitCode, 3, r.stderr);
  t.match(r.stdout, /3 done, 1 failed, 0 pending/);
  t.notOk((await journal()).some((e) => e.event === 'submitted' && e.chunk !== 'r1' && e.chunk.startsWith('r')), 'nothing else resubmitted');
  // the controller ends once every task has its final: the job's run of the task given a record by hand may still be
  // writing its record then; once the job has left the queue, a collect holds every record
  await until('the adopted job left the queue', async () => ((await execa('squeue', ['-h', '-j', jobId], { env, reject: false })).stdout.trim() === '' ? true : undefined));
  const collected = await runCli(['collect', ens], { env });
  t.equal(collected.exitCode, 3, `one task failed: ${collected.stderr}`);
  const rows = await duckQuery(`select task_id, attempt, status, runs from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  t.equal(rows.length, 4, 'one row per task');
  const again = rows.filter((x) => failed.includes(Number(x.task_id)));
  t.same(again.map((x) => [Number(x.task_id), Number(x.attempt), x.status, Number(x.runs)]), [[failed[0], 2, 'done', 2], [failed[1], 2, 'failed', 1]], 'both ran from the job: the one given a record by hand too');
});
