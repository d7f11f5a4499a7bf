// `arrayflow reproduce`: a done and a failed task run again alone (the ensemble byte-identical after), and --print
// pasted into sh -c, for a later stage's task whose upstream values come from the upstream stage's records.
import t from 'tap';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { failures, reproduce, run } from '../../src/index.js';
import { behaveConfig, behaveSim, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { hashTree } from '../helpers/tree.js';

t.test('reproduce reruns a done and a failed task with the same argv and seed and writes nothing into the ensemble', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ modes: ['ok', 'exit3'], xs: [5] }));
  const ran = await run(config, { workers: 2 });
  t.equal(ran.failed, 1);
  const ens = ran.ensembleDir;
  const before = hashTree(ens);
  const [failed] = await failures(ens);
  const rows = await duckQuery(`select task_id, task_seed, y from read_parquet('${ran.dataset.parquet}') order by task_id`);
  const done = rows.find((r) => r.task_id !== failed.task) as Record<string, unknown>;

  const log = join(dir, 'out.txt');
  const fd = openSync(log, 'w');
  try {
    const ok = await reproduce(ens, Number(done.task_id), { dir: join(dir, 'again'), stdout: fd, stderr: fd });
    t.same(ok, { dir: join(dir, 'again'), exitCode: 0, reason: null, timedOut: false });
    t.equal(JSON.parse(readFileSync(join(dir, 'again', 'result.json'), 'utf8')).y, done.y, 'the same result');
    const params = JSON.parse(readFileSync(join(dir, 'again', 'params.json'), 'utf8'));
    t.equal(params.task_seed, Number(done.task_seed), 'the seed of the dataset');

    const bad = await reproduce(ens, failed.task, { stdout: fd, stderr: fd });
    t.equal(bad.exitCode, 3, "the task's own exit code");
    t.equal(bad.reason, 'exit code 3');
    t.match(bad.dir, /arrayflow-reproduce-test-t\d+-/, 'a new directory under the temp dir');
    rmSync(bad.dir, { recursive: true });
  } finally {
    closeSync(fd);
  }
  t.match(readFileSync(log, 'utf8'), /simulated failure: giving up/, "the task's stderr where it was asked to go");
  t.same(hashTree(ens), before, 'every file of the ensemble is byte-identical');
  await t.rejects(reproduce(ens, 9), { name: 'UsageError', message: /has no task 9: its tasks are 0\.\.1/ });
});

t.test('reproduce of a task that timed out: the attempt\'s own limit (retry_scale), exit status 124 and a sentence saying so', async (t) => {
  const dir = t.testdir();
  // attempt 1 stops at 1 s, attempt 2 (retry_scale) at 2 s: the task sleeps 30 s
  const retries = 'executor: { type: local, workers: 1, retries: 1, retry_on: [timeout], retry_scale: { time: 2 } }';
  const config = writeConfig(dir, behaveConfig({ modes: ['sleep'], xs: [30], timeout: '1s', executor: retries }));
  const ran = await run(config);
  t.match(await failures(ran.ensembleDir), [{ attempt: 2, reason: 'timeout: exceeded the task time limit of 2 s' }]);
  const before = hashTree(ran.ensembleDir);

  const fd = openSync(join(dir, 'out.txt'), 'w');
  const again = await reproduce(ran.ensembleDir, 0, { stdout: fd, stderr: fd, dir: join(dir, 'lib') }).finally(() => closeSync(fd));
  t.match(again, { exitCode: 143, timedOut: true, reason: 'timeout: exceeded the task time limit of 2 s' }, "attempt 2's limit, not the first attempt's 1 s");

  const cli = await runCli(['reproduce', config, '0', '--dir', join(dir, 'cli')]);
  t.equal(cli.exitCode, 124, 'the documented status of a timeout (as timeout(1)), not the SIGTERM\'s 143');
  t.match(
    cli.stderr,
    `arrayflow: task 0 timed out again after 2 s (its time limit, timeout) and was stopped; exit status 124; its files are in ${join(dir, 'cli')}; ` +
      `\`arrayflow reproduce ${config} 0 --no-timeout\` runs it without the limit`,
  );
  t.same(hashTree(ran.ensembleDir), before, 'the ensemble is untouched');
});

t.test('reproduce --print of a later stage: its upstream values in argv and environment, pasted into sh -c', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: chain
ensemble_dir: ens
inputs: { copy: [${JSON.stringify(behaveSim)}] }
executor: { type: local, workers: 2 }
stages:
  - name: A
    command: [node, behave.mjs, ok, "{x}"]
    parameters: { x: { values: [1, 2] } }
    sampling: { method: grid }
  - name: B
    command: [node, behave.mjs, ok, "{A.y}", "it's a {A.label}"]
`,
  );
  t.equal((await runCli(['run', config, '--no-progress'])).exitCode, 0);
  const ens = join(dir, 'ens');
  const before = hashTree(ens);
  const noStage = await runCli(['reproduce', ens, '1']);
  t.equal(noStage.exitCode, 2, 'a multi-stage ensemble needs the stage');
  t.match(noStage.stderr, /name the stage of the task \(one of A, B\)/);

  const scratch = join(dir, 'b1');
  const printed = await runCli(['reproduce', config, '1', '--stage', 'B', '--dir', scratch, '--print']);
  t.equal(printed.exitCode, 0, printed.stderr);
  t.match(printed.stdout, /ARRAYFLOW_PARAM_A__y=4 \\/);
  // the command is the last line (execa strips the final newline)
  t.match(printed.stdout, /node behave\.mjs ok 4 'it'\\''s a x=2'$/);
  const sh = await execa('sh', ['-c', printed.stdout], { reject: false, env: { ...process.env, ARRAYFLOW_PARAM_A__y: 'not this' } });
  t.equal(sh.exitCode, 0, sh.stderr);
  t.same(JSON.parse(readFileSync(join(scratch, 'result.json'), 'utf8')).argv, ['4', "it's a x=2"], 'the argv of the stage task');
  t.same(hashTree(ens), before, 'every file of the ensemble is byte-identical');
});

t.test("reproduce of a task that exited 0 without a valid result says so, as the wrapper's record does", async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ modes: ['noresult', 'badresult'], xs: [5] }));
  const ran = await run(config, { workers: 2 });
  t.equal(ran.failed, 2);
  const byTask = new Map((await failures(ran.ensembleDir)).map((f) => [f.task, f.reason]));
  const fd = openSync(join(dir, 'out.txt'), 'w');
  try {
    for (const [task, recorded] of byTask) {
      const again = await reproduce(ran.ensembleDir, task, { dir: join(dir, `t${task}`), stdout: fd, stderr: fd });
      t.equal(again.exitCode, 0, "the task's own exit status");
      t.equal(again.reason, recorded, `task ${task}: the reason the wrapper recorded, not a success`);
    }
  } finally {
    closeSync(fd);
  }
  const cli = await runCli(['reproduce', ran.ensembleDir, '0', '--dir', join(dir, 'cli')]);
  t.match(cli.stderr, /task 0: no result: the simulation exited 0 but did not write result\.json; its files are in/);
});
