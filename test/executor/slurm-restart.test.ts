// The controller SIGKILLed while its jobs are queued on the real test Slurm, then restarted through the CLI:
// no chunk is submitted twice (not even one whose sbatch reached Slurm but was never journalled), and every
// task ends with exactly one row, having run exactly once.
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { execa } from 'execa';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { type JournalEntry, readJournal } from '../../src/journal/journal.js';
import { jobName, type PlanFile } from '../../src/plan/plan.js';
import { behaveConfig, dropTapHooks, runCli, writeConfig } from '../helpers/ensemble.js';
import { jobsNamed, requireSlurm, slurmEnv } from '../helpers/slurm.js';

dropTapHooks();

const TASKS = 48;
const CHUNKS = ['0000', '0001', '0002', '0003'];
/** How long the restarted controller watches held jobs before they are released: three of its status queries (`poll: 5`). */
const HELD_MS = 16_000;

/**
 * sbatch for the test: the real one with `--hold` (the jobs stay queued until the test releases them, like
 * on a full cluster), a log line per call, and on the call numbered in `stall-on` the job reaches Slurm
 * but its answer never reaches the controller: the shim waits until its caller is dead, then fails.
 */
const SBATCH_SHIM = `#!/bin/bash
n=$(( $(cat "$AF_SHIM_DIR/calls" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$AF_SHIM_DIR/calls"
out=$("$AF_REAL_SBATCH" --hold "$@")
rc=$?
echo "$n $rc $out" >> "$AF_SHIM_DIR/submitted"
if [ "$n" = "$(cat "$AF_SHIM_DIR/stall-on" 2>/dev/null)" ]; then
  while kill -0 "$PPID" 2>/dev/null; do sleep 0.2; done
  exit 1
fi
printf '%s\\n' "$out"
exit $rc
`;

type Submitted = Extract<JournalEntry, { event: 'submitted' }>;

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  return (await c.runAndReadAll(sql)).getRowObjects() as Record<string, unknown>[];
}

/** Polls `probe` until it returns a value other than undefined; fails when `child` ends first or after `timeoutMs`. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, child: { exited: boolean; out(): string } | null, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const v = await probe();
    if (v !== undefined) return v;
    if (child?.exited) throw new Error(`the controller ended before ${what}: ${child.out()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** A CLI controller in the background: its process, whether it has exited, and what it printed. */
function controller(args: string[], env: Record<string, string>) {
  const proc = runCli([...args, '--no-progress'], { env });
  const state = { proc, exited: false, out: () => `${proc.stdout ?? ''}${proc.stderr ?? ''}` };
  void proc.then((r) => {
    state.exited = true;
    state.out = () => `exit ${r.exitCode}${r.signal ? ` (${r.signal})` : ''}: ${String(r.stdout)}${String(r.stderr)}`;
  });
  return state;
}

/** `state reason` of each array job (squeue, any state). */
async function queueStates(ids: string[]): Promise<string[]> {
  const r = await execa('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', '%F %T %r'], { env: slurmEnv(), reject: false });
  return String(r.stdout).split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

t.test('SIGKILL of the controller mid-submission and while every job is queued, twice; resume: one job per chunk, one row per task', { timeout: 300_000 }, async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const t0 = Date.now();
  const shim = join(dir, 'shim');
  mkdirSync(shim);
  writeFileSync(join(shim, 'sbatch'), SBATCH_SHIM);
  chmodSync(join(shim, 'sbatch'), 0o755);
  writeFileSync(join(shim, 'stall-on'), '2\n');
  const realSbatch = (await execa('which', ['sbatch'], { env: slurmEnv() })).stdout.trim();
  const log = join(dir, 'executions.log');
  const env = { ...slurmEnv(), PATH: `${shim}:${process.env.PATH ?? ''}`, AF_SHIM_DIR: shim, AF_REAL_SBATCH: realSbatch, BEHAVE_LOG: log } as Record<string, string>;

  // 48 tasks of 0.5-1 s, two per array element: 24 elements in chunks of 6 -> 4 submissions
  const cfg = writeConfig(
    dir,
    behaveConfig({
      name: 'restart',
      modes: ['sleep'],
      xs: Array.from({ length: TASKS }, (_, i) => (0.5 + i / 100).toFixed(2)),
      executor: `executor:
  type: slurm
  resources: { time: "00:05:00", mem: 200M }
  poll: 5
  array: { bundle: 2, max_array_size: 6 }`,
    }),
  );
  const ens = join(dir, 'ens');
  const journalPath = join(ens, 'journal.ndjson');
  const journal = async () => readJournal(journalPath);
  const submitted = async () => (await journal()).filter((e): e is Submitted => e.event === 'submitted');
  const shimLines = () => (existsSync(join(shim, 'submitted')) ? readFileSync(join(shim, 'submitted'), 'utf8').trim().split('\n') : []);
  let names: string[] = [];
  const running: Array<ReturnType<typeof controller>> = [];
  t.teardown(async () => {
    for (const c of running) if (!c.exited) c.proc.kill('SIGKILL');
    const ids = (await Promise.all(names.map(jobsNamed))).flat();
    if (ids.length > 0) await execa('scancel', ids, { env: slurmEnv(), reject: false });
  });

  // 1. run: chunk 0 is submitted and journalled; chunk 1 reaches Slurm but its answer never comes: SIGKILL there
  const first = controller(['run', cfg], env);
  running.push(first);
  const stalledId = await until(
    'the second sbatch reached Slurm',
    async () => shimLines().map((l) => l.split(' ')).find((f) => f[0] === '2' && f[1] === '0')?.[2],
    first,
  );
  const plan = JSON.parse(readFileSync(join(ens, 'plan', 'plan.json'), 'utf8')) as PlanFile;
  names = CHUNKS.map((c) => jobName(plan, c));
  const beforeKill = await submitted();
  t.same(beforeKill.map((e) => e.chunk), ['0000'], 'killed after chunk 0 was journalled, during the sbatch of chunk 1');
  first.proc.kill('SIGKILL');
  const r1 = await first.proc;
  t.equal(r1.signal, 'SIGKILL');
  const firstIds = [beforeKill[0].job_id, stalledId];
  t.same(await Promise.all(names.map(jobsNamed)), [[firstIds[0]], [stalledId], [], []], 'Slurm holds chunks 0 and 1 (1 never journalled), nothing of 2 and 3');
  t.same(await queueStates(firstIds), firstIds.map((id) => `${id} PENDING JobHeldUser`).sort(), 'both are still queued: the kill cancelled nothing');

  // 2. resume: adopts chunk 1 by its name, submits only chunks 2 and 3; SIGKILL once all four are journalled
  const second = controller(['resume', ens], env);
  running.push(second);
  const all = await until('every chunk journalled', async () => {
    const s = await submitted();
    return new Set(s.map((e) => e.chunk)).size === CHUNKS.length ? s : undefined;
  }, second);
  second.proc.kill('SIGKILL');
  const r2 = await second.proc;
  t.equal(r2.signal, 'SIGKILL');
  const jobOf = new Map(all.map((e) => [e.chunk, e.job_id]));
  t.equal(jobOf.get('0001'), stalledId, 'the resumed controller adopted the job of chunk 1 instead of submitting it again');
  t.same(await Promise.all(names.map(jobsNamed)), CHUNKS.map((c) => [jobOf.get(c)]), 'one job per chunk name');
  const ids = CHUNKS.map((c) => jobOf.get(c) as string);
  t.same(await queueStates(ids), ids.map((id) => `${id} PENDING JobHeldUser`).sort(), 'all four still queued after the second kill');

  // 3. resume again; the jobs stay queued for a while under the new controller, then are released
  const runsBefore = (await journal()).filter((e) => e.event === 'run_started').length;
  const third = controller(['resume', ens], env);
  running.push(third);
  await until('the third controller started', async () => ((await journal()).filter((e) => e.event === 'run_started').length > runsBefore ? true : undefined), third);
  const heldUntil = Date.now() + HELD_MS;
  await until('the jobs were held long enough', async () => (Date.now() >= heldUntil || third.exited ? true : undefined), null, HELD_MS + 10_000);
  t.notOk(third.exited, `the controller still waits for the held jobs: ${third.out()}`);
  await execa('scontrol', ['release', ...ids], { env: slurmEnv() });
  const r3 = await third.proc;
  t.comment(`jobs ${ids.join(', ')}; run 3 took ${((Date.now() - heldUntil + HELD_MS) / 1000).toFixed(0)} s (${HELD_MS / 1000} s held), ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
  t.equal(r3.exitCode, 0, String(r3.stderr));
  t.match(String(r3.stdout), new RegExp(`resuming ${TASKS} tasks .*; 0 to run, ${TASKS} in jobs submitted before \\(queued or running: followed\\)`), "the held jobs' tasks are followed, not to run");
  t.match(String(r3.stdout), new RegExp(`${TASKS} done, 0 failed, 0 pending`));

  // no chunk submitted twice: sbatch calls, Slurm's accounting and the journal all say one job per chunk
  t.equal(shimLines().length, CHUNKS.length, 'sbatch ran once per chunk over the three controllers');
  const acct = await execa('sacct', ['-X', '-n', '-P', '-S', `now-${Math.ceil((Date.now() - t0) / 60_000) + 1}minutes`, '--name', names.join(','), '-o', 'JobID,JobName,State'], { env: slurmEnv() });
  const perName = new Map<string, Set<string>>();
  for (const line of String(acct.stdout).trim().split('\n')) {
    const [id, name, state] = line.split('|');
    t.equal(state, 'COMPLETED', `${id} completed`);
    perName.set(name, (perName.get(name) ?? new Set()).add(id.split('_')[0]));
  }
  t.same(names.map((n) => [...(perName.get(n) ?? [])]), ids.map((id) => [id]), 'sacct: one array job per chunk name, the journalled one');
  // sacct never lists a job still held: the live queue (which keeps finished jobs for MinJobAge) would show a duplicate
  t.same(await Promise.all(names.map(jobsNamed)), ids.map((id) => [id]), 'squeue: no other job under a chunk name, queued or finished');
  const events = await submitted();
  const byChunk = new Map<string, Set<string>>();
  for (const e of events) byChunk.set(e.chunk, (byChunk.get(e.chunk) ?? new Set()).add(e.job_id));
  t.same([...byChunk.keys()].sort(), CHUNKS);
  t.ok([...byChunk.values()].every((s) => s.size === 1), 'the journal never gives one chunk two job ids');

  // every task ran once and has one record and one row, done
  const runs = readFileSync(log, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
  t.equal(runs.length, TASKS, 'the simulation ran once per task');
  t.equal(new Set(runs).size, TASKS);
  const { records } = await readRecordFiles(join(ens, 'results'));
  t.equal(records.length, TASKS, 'one record per task in results/');
  const finals = selectFinal(records);
  t.equal(finals.size, TASKS);
  t.ok([...finals.values()].every((r) => r.status === 'done' && r.attempt === 1), 'all done at the first attempt');
  const rows = await query(`select count(*)::int as n, count(distinct task_id)::int as ids, count(*) filter (where status = 'done')::int as done from read_parquet('${join(ens, 'dataset.parquet')}')`);
  t.same(rows, [{ n: TASKS, ids: TASKS, done: TASKS }], 'dataset.parquet: one done row per task');
  t.equal(readFileSync(join(ens, 'dataset.csv'), 'utf8').trim().split('\n').length, TASKS + 1, 'dataset.csv: header + one line per task');
});
