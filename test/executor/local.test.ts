// The local executor at a few hundred tiny tasks: one record file per worker (never one per task), one row per task.
import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { runCli, writeConfig } from '../helpers/ensemble.js';
import { planIn } from '../helpers/plan.js';
import { runLocal } from '../../src/executor/local.js';
import { EnsembleError } from '../../src/errors.js';
import { retryPolicy } from '../../src/records/owed.js';
import type { TaskRecord } from '../../src/records/record.js';

t.test('600 tiny tasks on 2 workers: 2 record files, every task exactly once', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: many
ensemble_dir: ens
command: [sh, -c, 'echo "{{\\"v\\": $ARRAYFLOW_TASK_ID}}" > result.json']
parameters:
  x: { int: [1, 600] }
sampling: { method: grid }
executor: { workers: 2, array: { bundle: 100 } }
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /600 done, 0 failed, 0 pending/);
  const files = readdirSync(join(dir, 'ens', 'results'));
  t.equal(files.length, 2, `record files: ${files.join(', ')}`);
  const { records, bad } = await readRecordFiles(join(dir, 'ens', 'results'));
  t.equal(bad.length, 0);
  t.equal(records.length, 600, 'one record per task, no duplicates');
  const finals = selectFinal(records);
  t.equal(finals.size, 600);
  t.equal(finals.get(599)?.result?.v, 599, 'the result of the last task');
});

t.test('a worker killed mid-task: that task gets a lost row, the item queued behind it runs on a fresh worker', async (t) => {
  const dir = t.testdir();
  // task 3 kills its worker (its nearest node ancestor: its parent, or its spawn helper's) with SIGKILL; the tasks are
  // short, so the worker holds the next item too
  const config = writeConfig(
    dir,
    `name: killed
ensemble_dir: ens
command: [sh, -c, 'if [ "$ARRAYFLOW_TASK_ID" = 3 ]; then p=$PPID; while [ "$(cat /proc/$p/comm)" != node ]; do p=$(cut -d" " -f4 /proc/$p/stat); done; kill -9 $p; sleep 1; fi; echo "{{\\"v\\": $ARRAYFLOW_TASK_ID}}" > result.json']
parameters:
  x: { int: [1, 8] }
sampling: { method: grid }
executor: { workers: 1 }
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 3, r.stderr);
  t.match(r.stdout, /7 done, 1 failed, 0 pending/);
  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  t.equal(records.length, 8, 'one record per task: the queued item was not lost, nor run twice');
  const finals = selectFinal(records);
  t.match(finals.get(3), { status: 'failed', source: 'controller', reason: /^lost: the task wrapper process died \(signal SIGKILL\)/, times: 'noticed', duration_s: 0 });
  for (const id of [0, 1, 2, 4, 5, 6, 7]) t.equal(finals.get(id)?.result?.v, id, `task ${id} done`);
  t.equal(readdirSync(join(dir, 'ens', 'results')).filter((f) => f.startsWith('local-')).length, 2, 'a second worker took over');
});

/** The config of `tasks` tasks each writing its id as a one-key result, on 2 local workers. */
function tinyEnsemble(name: string, tasks: number): string {
  return `name: ${name}
ensemble_dir: ens
command: [sh, -c, 'echo "{{\\"v\\": $ARRAYFLOW_TASK_ID}}" > result.json']
parameters:
  x: { int: [1, ${tasks}] }
sampling: { method: grid }
executor: { workers: 2 }
`;
}

t.test("a plan naming an arrayflow that is gone (an installation moved since plan): the workers are this arrayflow's", async (t) => {
  const dir = t.testdir();
  t.equal((await runCli(['plan', writeConfig(dir, tinyEnsemble('moved', 50))])).exitCode, 0);
  const planFile = join(dir, 'ens', 'plan', 'plan.json');
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as { arrayflow: string };
  writeFileSync(planFile, JSON.stringify({ ...plan, arrayflow: join(dir, 'gone', 'main.js') }));
  const r = await runCli(['resume', join(dir, 'ens'), '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /50 done, 0 failed, 0 pending/);
});

t.test('workers that cannot start: the run stops with their own error after four, and no task is charged', async (t) => {
  const dir = t.testdir();
  const { layout } = await planIn(dir, tinyEnsemble('broken', 20));
  // a worker that fails before it is ready (its error on stderr), and one that exits 0 without ever being ready
  const failing = join(dir, 'failing.cjs');
  writeFileSync(failing, "console.error('Error: this installation is broken'); process.exit(1);\n");
  const silent = join(dir, 'silent.cjs');
  writeFileSync(silent, 'process.exit(0);\n');
  const items = Array.from({ length: 20 }, (_, task) => ({ task, attempt: 1 }));
  for (const [cli, last] of [[failing, 'exit code 1'], [silent, 'exit code 0']] as const) {
    const records: TaskRecord[] = [];
    const err = await runLocal(layout, [...items], { workers: 2, runId: cli === failing ? 'failing' : 'silent', policy: retryPolicy(0, undefined), worker: { node: process.execPath, cli }, onRecord: (r) => records.push(r) }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    t.ok(err instanceof EnsembleError, `${cli}: a user-facing error, not an internal one`);
    t.match(err?.message, `task workers keep dying before running a task (last: ${last})`);
    if (cli === failing) t.match(err?.message, /this installation is broken/, "the worker's own words");
    t.same(records, [], 'no task was charged a lost record: none had started');
  }
  t.same(readdirSync(layout.resultsDir), [], 'no record file');
  t.ok(readdirSync(layout.logsDir).filter((f) => f.startsWith('local-')).length <= 10, 'it gave up after a few workers each time, not one per task');
});

t.test('a task table the workers cannot read: the run stops with its error, and no task is charged', async (t) => {
  const dir = t.testdir();
  t.equal((await runCli(['plan', writeConfig(dir, tinyEnsemble('torn', 30))])).exitCode, 0);
  // cut short after its header, as a copy interrupted mid-file would leave it
  const tasksBin = join(dir, 'ens', 'plan', 'tasks.bin');
  writeFileSync(tasksBin, readFileSync(tasksBin).subarray(0, 64));
  const r = await runCli(['resume', join(dir, 'ens'), '--no-progress']);
  t.not(r.exitCode, 0);
  t.match(r.stderr, /task workers keep dying before running a task/);
  t.match(r.stderr, /tasks\.bin/, "the table's own error is quoted");
  t.same(readdirSync(join(dir, 'ens', 'results')), [], 'no task was charged a lost record');
});
