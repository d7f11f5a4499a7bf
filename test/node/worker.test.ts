// The local worker's stdin protocol (`arrayflow task --worker`): items run in order, one at a time, each record appended
// then echoed; EOF (the controller is done, interrupted or died) interrupts the running task and drops the item queued behind it.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TaskRecord } from '../../src/records/record.js';
import { WORKER_READY } from '../../src/records/owed.js';
import { cli, dropTapHooks } from '../helpers/ensemble.js';
import { planIn } from '../helpers/plan.js';

dropTapHooks();

/** Three tasks sleeping `s` seconds then writing {"y": 2x}, planned for the local executor. */
async function ensemble(t: Test) {
  const dir = t.testdir({ scratch: {}, 'sim.sh': 'sleep "$1"; echo "{\\"y\\": $(( $2 * 2 ))}" > result.json\n' });
  const { layout } = await planIn(
    dir,
    `name: wk
ensemble_dir: ens
command: [sh, sim.sh, "{s}", "{x}"]
inputs: { copy: [sim.sh] }
parameters:
  s: { values: [0.6] }
  x: { values: [1, 2, 3] }
sampling: { method: grid }
executor: { type: local, scratch: ${JSON.stringify(join(dir, 'scratch'))} }
`,
  );
  return { dir, layout };
}

/** Starts a worker; `echoes` collects the records it prints. */
function worker(root: string, writer: string) {
  const proc = spawn(process.execPath, [cli, 'task', root, '--worker', '--writer', writer], { stdio: ['pipe', 'pipe', 'inherit'] });
  const echoes: TaskRecord[] = [];
  // what came before the first record: the worker's ready line (the controller charges no task to one that died before)
  const before: string[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: proc.stdout }).on('line', (l) => {
    if (echoes.length === 0 && !l.startsWith('{')) return void before.push(l);
    echoes.push(JSON.parse(l) as TaskRecord);
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  const echoed = async (n: number) => {
    while (echoes.length < n) await new Promise<void>((r) => waiters.push(r));
  };
  const send = (task: number) => proc.stdin.write(JSON.stringify({ task, attempt: 1 }) + '\n');
  return { proc, echoes, before, exited, echoed, send };
}

t.test('items sent ahead run in order, each recorded once and echoed; EOF after the last record ends the worker', async (t) => {
  const { dir, layout } = await ensemble(t);
  const w = worker(layout.root, 'w0');
  [0, 1, 2].forEach(w.send);
  await w.echoed(3);
  w.proc.stdin.end();
  t.equal(await w.exited, 0);
  t.same(w.echoes.map((r) => [r.task, r.status, r.result?.y]), [[0, 'done', 2], [1, 'done', 4], [2, 'done', 6]]);
  t.same(w.before, [WORKER_READY], 'it said it was ready before its first record, and nothing else');
  const lines = readFileSync(layout.recordFile('w0'), 'utf8').trimEnd().split('\n');
  t.same(lines.map((l) => (JSON.parse(l) as TaskRecord).task), [0, 1, 2], 'appended to its record file in the same order');
  t.ok(w.echoes.every((r, i) => i === 0 || r.start >= w.echoes[i - 1].end), 'one task at a time');
  t.same(readdirSync(join(dir, 'scratch')), [], 'scratch removed before the worker exits');
});

t.test('EOF while a task runs: that task is stopped and recorded interrupted, the item queued behind it is not started', async (t) => {
  const { dir, layout } = await ensemble(t);
  const w = worker(layout.root, 'w1');
  w.send(0);
  w.send(1);
  // the first task sleeps 0.6 s: end stdin once its scratch dir exists
  while (readdirSync(join(dir, 'scratch')).length === 0) await new Promise((r) => setTimeout(r, 20));
  w.proc.stdin.end();
  t.equal(await w.exited, 0, 'a graceful exit');
  t.match(w.echoes, [{ task: 0, attempt: 1, status: 'interrupted', reason: /^interrupted: the controller stopped \(Ctrl-C, a signal\) or died/ }]);
  t.equal(w.echoes.length, 1);
  t.same(readFileSync(layout.recordFile('w1'), 'utf8').trimEnd().split('\n').length, 1, 'one record');
  t.same(readdirSync(join(dir, 'scratch')), []);
});
