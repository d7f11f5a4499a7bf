// Local task limits: resources.mem kills a simulation over it ("out of memory"), resources.time like the timeout; the batch wrapper leaves both to the scheduler.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WrapperState, exitReason, startCommand } from '../../src/node/child.js';
import { taskLimits, treeRss } from '../../src/node/limits.js';
import type { PlanFile } from '../../src/plan/plan.js';

const plan = (resources: PlanFile['executor']['resources'], timeout = 0, retry_scale?: PlanFile['executor']['retry_scale']) =>
  ({ runtime: { timeout }, executor: { resources, retry_scale } }) as unknown as Pick<PlanFile, 'runtime' | 'executor'>;

t.test('taskLimits: the local executor holds a task to resources.time and resources.mem; a batch wrapper to timeout only', async (t) => {
  t.same(taskLimits(plan({ time: '00:01:00', mem: '100M' }, 120), 1, true), { time: 60, timeKey: 'resources.time', mem: { bytes: 100 * 2 ** 20, text: '100M' } });
  t.same(taskLimits(plan({ time: '00:01:00' }, 30), 1, true), { time: 30, timeKey: 'timeout', mem: null }, 'the shorter limit wins');
  t.same(taskLimits(plan({ mem: '2G' }), 1, true).mem, { bytes: 2 * 2 ** 30, text: '2G' });
  t.same(taskLimits(plan({ mem: '100' }, 0, { mem: 2 }), 2, true).mem, { bytes: 200 * 2 ** 20, text: '200M' }, 'retry_scale.mem grows it per attempt');
  t.same(taskLimits(plan({ time: '00:01:00', mem: '100M' }, 0), 1, false), { time: 0, timeKey: 'timeout', mem: null }, 'on a batch scheduler: the scheduler enforces them');
});

/** Runs python3 allocating `mb` megabytes for 0.6 s under `limits`; the reason the wrapper would record. */
async function allocate(t: Test, mb: number, limits: Parameters<typeof startCommand>[4]) {
  const dir = t.testdir();
  const out = join(dir, 'out');
  const state = new WrapperState(true);
  const started = startCommand(['python3', '-c', `b=bytearray(${mb}_000_000); import time; time.sleep(0.6)`], dir, process.env, { stdout: out, stderr: out }, limits, state);
  const exit = await started.exited;
  // what the simulation printed: the message of an assertion about it (a failure under load said only "exit code 1")
  return { exit, reason: exitReason(exit, 'python3', limits, state), output: readFileSync(out, 'utf8').slice(-2000) };
}

t.test('a task allocating 300 MB under mem 100M is killed with the out-of-memory reason; one allocating 20 MB exits 0', async (t) => {
  const limits = { time: 0, timeKey: 'timeout', mem: { bytes: 100 * 2 ** 20, text: '100M' } } as const;
  const [over, under] = await Promise.all([allocate(t, 300, limits), allocate(t, 20, limits)]);
  t.equal(over.reason, 'out of memory: used more than 100M (resources.mem)', `python3 printed: ${over.output}`);
  t.match(over.exit, { signal: 'SIGKILL', memExceeded: true });
  t.equal(under.reason, null, `under the limit: no failure (python3 printed: ${under.output})`);
  t.equal(under.exit.code, 0);
});

t.test('resources.time stops a task like the timeout, and says which key set the limit', async (t) => {
  const { reason } = await allocate(t, 1, { time: 0.3, timeKey: 'resources.time', mem: null });
  t.equal(reason, 'timeout: exceeded the task time limit of 0.3 s (resources.time)');
});

t.test('treeRss counts the descendants of a process: the shell holds little, its python child the 80 MB', async (t) => {
  const sh = spawn('sh', ['-c', 'python3 -c "b=bytearray(80_000_000); import time; time.sleep(3)"; true'], { stdio: 'ignore' });
  t.teardown(() => sh.kill('SIGKILL'));
  const pid = sh.pid as number;
  let rss = 0;
  for (let i = 0; i < 40 && rss < 80e6; i++) {
    await new Promise((r) => setTimeout(r, 50));
    rss = treeRss(pid);
  }
  t.ok(rss >= 80e6, `tree RSS ${rss} bytes`);
  t.ok(rss < 200e6, 'not counted twice');
});
