// The node entry points: the array index and job id from the scheduler's environment, and one array element run on
// a small planned ensemble (its bundle of tasks, one record file, failures as records).
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { indexFromEnv, jobIdFromEnv, runElement, timeLeftFor } from '../../src/node/main.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import type { TaskRecord } from '../../src/records/record.js';
import { parseStarts } from '../../src/records/starts.js';
import { cli } from '../helpers/ensemble.js';
import { planIn } from '../helpers/plan.js';

const SLURM = ['SLURM_ARRAY_TASK_ID'];
const PBS = ['PBS_ARRAY_INDEX', 'PBS_ARRAYID'];

t.test('indexFromEnv: the first variable set to a non-negative integer', async (t) => {
  t.equal(indexFromEnv(SLURM, { SLURM_ARRAY_TASK_ID: '7' }), 7);
  t.equal(indexFromEnv(SLURM, { SLURM_ARRAY_TASK_ID: '0' }), 0);
  t.equal(indexFromEnv(PBS, { PBS_ARRAYID: '3' }), 3, 'Torque');
  t.equal(indexFromEnv(PBS, { PBS_ARRAY_INDEX: '2', PBS_ARRAYID: '3' }), 2, 'the first listed wins');
  t.equal(indexFromEnv(PBS, { PBS_ARRAY_INDEX: '', PBS_ARRAYID: '3' }), 3, 'an empty variable counts as unset');
});

t.test('indexFromEnv: a value that is no array index, or none set, is a UsageError', async (t) => {
  for (const v of ['-1', '1.5', 'abc', '3[]']) {
    t.throws(() => indexFromEnv(SLURM, { SLURM_ARRAY_TASK_ID: v }), { name: 'UsageError', code: 'E_USAGE', message: `SLURM_ARRAY_TASK_ID='${v}' is not an array index` }, v);
  }
  t.throws(() => indexFromEnv(PBS, { PBS_ARRAY_INDEX: '' }), {
    name: 'UsageError',
    message: 'none of PBS_ARRAY_INDEX, PBS_ARRAYID is set: this script must run as an element of an array job (submit it with the scheduler)',
  });
  t.throws(() => indexFromEnv([], {}), { name: 'UsageError' });
});

t.test('jobIdFromEnv: <array job id>_<index> from the first variable set, else null', async (t) => {
  t.equal(jobIdFromEnv(['SLURM_ARRAY_JOB_ID'], 4, { SLURM_ARRAY_JOB_ID: '1234' }), '1234_4');
  t.equal(jobIdFromEnv(['A', 'B'], 0, { A: '', B: '99' }), '99_0', 'an empty variable counts as unset');
  t.equal(jobIdFromEnv(['A', 'B'], 0, { A: '1', B: '99' }), '1_0');
  t.equal(jobIdFromEnv(['A'], 2, {}), null);
});

/** A grid of `sh sim.sh <params>` tasks (`sim`: the script) in elements of `array`, planned in a test dir with scratch in it. */
async function planSim(t: Test, name: string, sim: string, params: Record<string, unknown[]>, array: string) {
  const dir = t.testdir({ scratch: {}, 'sim.sh': sim });
  const args = Object.keys(params).map((k) => `"{${k}}"`);
  const lines = [`name: ${name}`, 'ensemble_dir: ens', `command: [sh, sim.sh, ${args.join(', ')}]`, 'inputs: { copy: [sim.sh] }'];
  lines.push(`parameters: ${JSON.stringify(params)}`, 'sampling: { method: grid }', `executor: { type: slurm, scratch: ${JSON.stringify(join(dir, 'scratch'))}, array: ${array} }`);
  const { layout } = await planIn(dir, lines.join('\n') + '\n');
  return { dir, layout };
}

/** Four tasks of a shell simulation (mode ok writes y = 2x, exit3 fails) in elements of two, scratch in the test dir. */
async function fourTasks(t: Test) {
  const sim = 'if [ "$1" = ok ]; then echo "{\\"y\\": $(( $2 * 2 ))}" > result.json; else echo simulated failure >&2; exit 3; fi\n';
  const { dir, layout } = await planSim(t, 'four', sim, { mode: ['ok', 'exit3'], x: [1, 2] }, '{ bundle: 2, parallel: 2 }');
  const rows = await readTaskTable(layout);
  /** What task \`id\` should end as. */
  const expected = (id: number) =>
    rows[id].params.mode === 'ok' ? { status: 'done', result: { y: 2 * Number(rows[id].params.x) } } : { status: 'failed', reason: 'exit code 3', stderr_tail: 'simulated failure' };
  const recordsOf = (writer: string): TaskRecord[] =>
    readFileSync(layout.recordFile(writer), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as TaskRecord);
  return { dir, layout, rows, expected, recordsOf };
}

t.test('timeLeftFor: room for more tasks at the pace kept so far, twice over and never within the last tenth of the limit', async (t) => {
  const started = 1_000_000;
  let now = started;
  let ran = 0;
  const mayTake = timeLeftFor(600, () => ran, started, () => now);
  t.ok(mayTake(1000), 'at the start, with no task run, a task costs the time spent (none yet)');
  now += 100_000; // 100 s for 1,000 tasks: 0.1 s each
  ran = 1000;
  t.ok(mayTake(2500), '100 s + 2 × 2,500 × 0.1 s = 600 s: fits');
  t.notOk(mayTake(2501), 'one more task would not');
  now = started + 539_000;
  ran = 5390;
  t.ok(mayTake(1), '539 s + the last 60 s: fits');
  now = started + 541_000;
  ran = 5410;
  t.notOk(mayTake(1), 'within the last 60 s of a 10-minute limit nothing more is taken, however short');
  t.notOk(timeLeftFor(60, () => 100, started, () => started + 54_500)(1), 'a 1-minute limit keeps its last 6 s');
  t.ok(timeLeftFor(0, () => 1, started, () => now)(1e9), 'no resources.time: no limit');
});

t.test('runElement runs the bundle of element offset + index into one record file named by element, attempt and job', async (t) => {
  const { dir, layout, expected, recordsOf } = await fourTasks(t);
  const code = await runElement(layout.root, { index: 0, offset: 1, attempt: 1, jobId: '77_0' });
  t.equal(code, 0, 'a failed task is a record, not a failed element');
  t.same(readdirSync(layout.resultsDir), ['e1-a1-77_0.ndjson']);
  const recs = recordsOf('e1-a1-77_0').sort((a, b) => a.task - b.task);
  t.same(recs.map((r) => r.task), [2, 3], 'element 1 of bundle 2');
  for (const r of recs) {
    t.match(r, { ...expected(r.task), attempt: 1, job_id: '77_0', source: 'wrapper' }, `task ${r.task}`);
  }
  t.same(readdirSync(join(dir, 'scratch')), [], 'scratch cleaned');
  t.same(readdirSync(layout.startsDir), [], 'its start lines are gone: every task it took has its record');
});

t.test('runElement without a job id names its record file by pid, and runs the given attempt', async (t) => {
  const { layout, expected, recordsOf } = await fourTasks(t);
  t.equal(await runElement(layout.root, { index: 0, offset: 0, attempt: 2, jobId: null }), 0);
  const writer = `e0-a2-pid${process.pid}`;
  t.same(readdirSync(layout.resultsDir), [`${writer}.ndjson`]);
  const recs = recordsOf(writer).sort((a, b) => a.task - b.task);
  t.same(recs.map((r) => [r.task, r.attempt, r.job_id]), [[0, 2, null], [1, 2, null]]);
  for (const r of recs) t.match(r, expected(r.task));
});

t.test('runElement with a tasks file runs its slice of the listed tasks; odd job id characters are replaced', async (t) => {
  const { layout, recordsOf } = await fourTasks(t);
  const list = join(layout.planDir, 'r1-tasks.json');
  writeFileSync(list, JSON.stringify([3, 0, 2]));
  t.equal(await runElement(layout.root, { index: 1, offset: 0, attempt: 2, jobId: '5[1].pbs/x', tasksFile: list }), 0);
  const writer = 'rr1-tasks-e1-5_1_.pbs_x';
  t.same(readdirSync(layout.resultsDir), [`${writer}.ndjson`]);
  t.same(recordsOf(writer).map((r) => [r.task, r.attempt]), [[2, 2]], 'element 1 of [3, 0 | 2]');
});

t.test('runElement of an element past the end writes no record file (nothing to record)', async (t) => {
  const { layout } = await fourTasks(t);
  t.equal(await runElement(layout.root, { index: 5, offset: 0, attempt: 1, jobId: '1_5' }), 0);
  t.notOk(existsSync(layout.recordFile('e5-a1-1_5')));
  t.same(readdirSync(layout.startsDir), []);
});

/** An element of three tasks sleeping 0, 30 and 1 s, run by the built CLI; the 30 s simulation writes its pid to `pidFile`. */
async function sleepyElement(t: Test) {
  const sim = '[ "$1" != 30 ] || echo $$ > "$PID_FILE"\nsleep "$1"\necho \'{"y": 1}\' > result.json\n';
  const { dir, layout } = await planSim(t, 'sleepy', sim, { s: [0, 30, 1] }, '{ bundle: 3 }');
  const pidFile = join(dir, 'sim.pid');
  const child = execa(process.execPath, [cli, 'task', layout.root, '--index', '0'], { env: { PID_FILE: pidFile }, reject: false });
  const writer = `e0-a1-pid${child.pid}`;
  // the simulation of task 1 outlives a killed runner: it goes with the test
  t.teardown(() => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // gone already (a runner stopped by SIGTERM stops it), or never started
    }
  });
  for (let i = 0; i < 400 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
  t.ok(existsSync(pidFile), 'task 1 runs');
  const starts = () => parseStarts(readFileSync(layout.startsFile('e0-a1'), 'utf8'));
  const tasks = (writer: string) => readFileSync(layout.recordFile(writer), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as TaskRecord).task);
  return { layout, child, writer, starts, tasks };
}

t.test('a runner killed mid-bundle (SIGKILL: no record, as on a node failure) leaves start lines of the tasks it began only', async (t) => {
  const { child, writer, starts, tasks } = await sleepyElement(t);
  t.same([...(starts()?.keys() ?? [])], [0, 1], 'tasks 0 and 1 noted as they started; task 2 not');
  child.kill('SIGKILL');
  await child;
  t.same([...(starts()?.keys() ?? [])], [0, 1], 'left as it was for the controller');
  t.same(tasks(writer), [0], 'a record of task 0 alone');
});

t.test('a runner stopped by SIGTERM (time limit, scancel) keeps its start lines: task 2 never started', async (t) => {
  const { child, writer, starts, tasks } = await sleepyElement(t);
  child.kill('SIGTERM');
  t.equal((await child).exitCode, 143);
  t.same(tasks(writer), [0, 1], 'task 1 has its own "terminated" record');
  t.same([...(starts()?.keys() ?? [])], [0, 1]);
});

t.test('runElement on a directory that was never planned is an EnsembleError', async (t) => {
  await t.rejects(runElement(t.testdir({}), { index: 0, offset: 0, attempt: 1, jobId: null }), { name: 'EnsembleError', code: 'E_ENSEMBLE' });
});
