// `arrayflow status`: counts, and with --failed each failed task's reason, parameters and stderr tail; --json is one document.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { behaveConfig, runCli, writeConfig } from '../../helpers/ensemble.js';
import { threeStages } from '../../helpers/stages.js';

t.test('status --failed shows why each task failed and what to do next; --json --failed is one JSON document', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ modes: ['ok', 'exit3'], xs: [1, 2] }));
  const run = await runCli(['run', config, '--no-progress']);
  t.equal(run.exitCode, 3, 'the run had failed tasks');
  const ens = join(dir, 'ens');

  const plain = await runCli(['status', ens]);
  t.equal(plain.exitCode, 0);
  t.match(plain.stdout, /2 done, 2 failed, 0 pending/);
  t.match(plain.stdout, new RegExp(`failed tasks, their parameters and stderr: arrayflow status ${ens} --failed`), 'points at --failed');

  const failed = await runCli(['status', ens, '--failed']);
  t.equal(failed.exitCode, 0, failed.stderr);
  const lines = failed.stdout.split('\n');
  const at = lines.findIndex((l) => /^task \d+ \(attempt 1\): exit code 3$/.test(l));
  t.ok(at > 0, 'a failed task with its attempt and reason');
  t.match(lines[at + 1], /^ {2}params: mode="exit3" x=[12] {2}task_seed=\d+$/, 'its parameters and seed');
  t.equal(lines[at + 2], '  stderr| simulated failure: giving up', 'the last lines of its stderr');
  const task = Number(/^task (\d+)/.exec(lines[at])?.[1]);
  const [stderrLog, stdoutLog] = ['stderr', 'stdout'].map((s) => join(ens, 'logs', 'tasks', `${task}.1.${s}`));
  t.equal(lines[at + 3], `  logs: ${stderrLog}  ${stdoutLog}`, 'where its full stdout and stderr are');
  t.equal(readFileSync(stderrLog, 'utf8'), 'simulated failure: giving up\n', 'kept by default for a failed task');
  t.match(failed.stdout, `after a fix: arrayflow retry ${ens} --failed`);
  t.match(failed.stdout, join(ens, 'logs', 'failures.ndjson'));

  const json = await runCli(['status', ens, '--json', '--failed']);
  type Failed = { task: number; attempt: number; reason: string; params: Record<string, unknown>; stderr_tail: string; logs: { stdout: string; stderr: string } };
  const doc = JSON.parse(json.stdout) as { failed: number; failed_tasks: Failed[] };
  t.equal(doc.failed, 2);
  t.equal(doc.failed_tasks.length, 2);
  for (const f of doc.failed_tasks) {
    t.equal(f.reason, 'exit code 3');
    t.equal(f.attempt, 1);
    t.equal(f.params.mode, 'exit3');
    t.match(f.stderr_tail, /simulated failure/);
    t.same(f.logs, { stdout: join(ens, 'logs', 'tasks', `${f.task}.1.stdout`), stderr: join(ens, 'logs', 'tasks', `${f.task}.1.stderr`) });
  }
  t.same(readdirSync(join(ens, 'logs', 'tasks')).length, 4, 'no logs of the done tasks');
});

t.test('status of a directory that does not exist says so', async (t) => {
  const r = await runCli(['status', join(t.testdir(), 'nosuch')]);
  t.equal(r.exitCode, 1);
  t.match(r.stderr, /nosuch: no such ensemble directory or config file/);
});

t.test("status --failed on a multi-stage root lists every stage's failed tasks, as `run` tells you to", async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, threeStages('executor: { type: local, workers: 2 }'));
  const run = await runCli(['run', config, '--no-progress']);
  t.equal(run.exitCode, 3, run.stderr);
  const ens = join(dir, 'ens');
  t.match(run.stdout, `failures: arrayflow status ${ens} --failed`, 'the run points at status --failed on the root');

  const plain = await runCli(['status', ens]);
  t.match(plain.stdout, /^A: 3 tasks: 2 done, 1 failed, 0 pending/m);
  t.match(plain.stdout, `failed tasks, their parameters and stderr: arrayflow status ${ens} --failed`, 'points at --failed');

  const failed = await runCli(['status', ens, '--failed']);
  t.equal(failed.exitCode, 0, failed.stderr);
  t.match(failed.stdout, /^A: task 2 \(attempt 1\): exit code 3$/m, "stage A's failure with its reason");
  t.match(failed.stdout, /^ {2}stderr\| simulated failure: giving up$/m, 'its stderr tail');
  t.match(failed.stdout, /^B: task 4 \(attempt 1\): upstream failed: A task 2: exit code 3$/m, "a later stage's upstream failures");
  t.match(failed.stdout, `after a fix: arrayflow retry ${join(ens, 'stages', 'A')} --failed`, "retry names the stage's directory");

  const json = JSON.parse((await runCli(['status', ens, '--json', '--failed'])).stdout) as { stages: Array<{ stage: string; failed_tasks?: Array<{ task: number; reason: string }> }> };
  t.same(json.stages.map((s) => [s.stage, s.failed_tasks?.map((f) => f.task)]), [['A', [2]], ['B', [4, 5]], ['C', [4, 5]]]);
});
