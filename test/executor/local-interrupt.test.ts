// The local executor stopped from outside: a SIGKILLed controller leaves no simulation running, Ctrl-C interrupts
// the running tasks (not failed), and resume runs them again as a new attempt.
import t, { type Test } from 'tap';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resume, status } from '../../src/index.js';
import { readRecordFiles } from '../../src/records/read.js';
import { processAlive } from '../../src/util/process.js';
import { cli, duckQuery, writeConfig } from '../helpers/ensemble.js';

// both tests mostly wait for processes
t.jobs = 2;

/**
 * An ensemble of `tasks` tasks that, while pids/hold exists, sleep 30 s in a background child (the simulation's
 * process group: two processes) after appending both pids to pids/<task>; without it they finish at once.
 */
function sleepyEnsemble(dir: string, tasks: number): string {
  writeFileSync(join(dir, 'pids', 'hold'), '');
  writeFileSync(
    join(dir, 'sim.sh'),
    `echo $$ >> "$1/$ARRAYFLOW_TASK_ID"
if [ -e "$1/hold" ]; then sleep 30 & echo $! >> "$1/$ARRAYFLOW_TASK_ID"; wait; fi
echo "{\\"v\\": $ARRAYFLOW_TASK_ID}" > result.json
`,
  );
  return writeConfig(
    dir,
    `name: sleepy
ensemble_dir: ens
command: [sh, ${JSON.stringify(join(dir, 'sim.sh'))}, ${JSON.stringify(join(dir, 'pids'))}]
parameters:
  x: { int: [1, ${tasks}] }
sampling: { method: grid }
executor: { workers: 2 }
`,
  );
}

/** The pids of the running first attempts, once `tasks` of them have both processes started. */
async function runningPids(dir: string, tasks: number, controller: ChildProcess): Promise<number[]> {
  const files = Array.from({ length: tasks }, (_, i) => join(dir, 'pids', String(i)));
  for (;;) {
    const pids = files.map((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l !== '').map(Number) : []));
    if (pids.every((p) => p.length === 2)) return pids.flat();
    if (controller.exitCode !== null) throw new Error(`the controller exited ${controller.exitCode} before the tasks ran`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function startRun(t: Test, config: string, detached: boolean) {
  const controller = spawn(process.execPath, [cli, 'run', config, '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'], detached });
  let stdout = '';
  let stderr = '';
  controller.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  controller.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  t.teardown(() => {
    if (controller.exitCode === null && controller.signalCode === null) controller.kill('SIGKILL');
  });
  return { controller, output: () => ({ stdout, stderr }) };
}

/** resume runs every task (an interrupted one as attempt 2, one never started as attempt 1): one done row each. */
async function resumesToDone(t: Test, dir: string, attempts: number[]) {
  rmSync(join(dir, 'pids', 'hold'));
  const r = await resume(join(dir, 'ens'));
  t.match(r, { done: attempts.length, failed: 0, pending: 0 }, 'resume completes them');
  const rows = await duckQuery(`select task_id, status, attempt from read_parquet('${join(dir, 'ens', 'dataset.parquet')}') order by task_id`);
  t.same(rows, attempts.map((attempt, task_id) => ({ task_id, status: 'done', attempt })), 'exactly one row per task, done');
}

t.test('SIGKILL of the controller process group: no simulation is left 5 s later; resume reruns the tasks', async (t) => {
  const dir = t.testdir({ pids: {} });
  const config = sleepyEnsemble(dir, 2);
  const { controller } = startRun(t, config, true);
  const pids = await runningPids(dir, 2, controller);
  t.ok(pids.every(processAlive), 'the simulations run');
  process.kill(-controller.pid!, 'SIGKILL');
  await once(controller, 'exit');
  await new Promise((resolve) => setTimeout(resolve, 5000));
  t.same(pids.filter(processAlive), [], 'no simulation process outlived the controller by 5 s');
  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  t.same(
    records.map((r) => [r.task, r.attempt, r.status]).sort(),
    [[0, 1, 'interrupted'], [1, 1, 'interrupted']],
    'the workers recorded the tasks as interrupted',
  );
  t.match(await status(join(dir, 'ens')), { done: 0, failed: 0, pending: 2 }, 'interrupted tasks are pending, not failed');
  await resumesToDone(t, dir, [2, 2]);
});

t.test('Ctrl-C: exit 130, the message says what happens, the running tasks are interrupted, not failed; resume completes them', async (t) => {
  const dir = t.testdir({ pids: {} });
  const config = sleepyEnsemble(dir, 3);
  const { controller, output } = startRun(t, config, false);
  const pids = await runningPids(dir, 2, controller);
  controller.kill('SIGINT');
  const [code] = await once(controller, 'exit');
  const { stdout, stderr } = output();
  t.equal(code, 130, stderr);
  t.match(stderr, /interrupted \(SIGINT\): stopping the running tasks .* recorded as interrupted, not failed, and `arrayflow resume \S+` runs them again/);
  t.match(stdout, /0 done, 0 failed, 3 pending/);
  t.match(stdout, /interrupted: arrayflow resume \S+ runs the 3 pending tasks/);
  t.same(pids.filter(processAlive), [], 'the simulations were stopped before the controller exited');
  await resumesToDone(t, dir, [2, 2, 1]);
});
