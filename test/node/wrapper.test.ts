// The task wrapper end to end on the local executor: failure reasons, scratch cleanup, no shell, keep policy.
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { behaveSim, runCli, writeConfig } from '../helpers/ensemble.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';

// independent ensembles; the first spends most of its time waiting for a task's time limit
t.jobs = 3;

function listConfig(dir: string, points: Array<{ mode: string; x: string | number }>, extra = ''): string {
  return writeConfig(
    dir,
    `name: wrap
ensemble_dir: ens
command: [node, behave.mjs, "{mode}", "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
timeout: 8s
keep: [result.json]
parameters:
  mode: { values: [ok, exit3, sleep, noresult, badresult] }
  x: { values: ${JSON.stringify([...new Set(points.map((p) => p.x))])} }
sampling:
  method: list
  points: ${JSON.stringify(points)}
executor: { type: local, workers: 3, scratch: ${JSON.stringify(join(dir, 'scratch'))} }
${extra}
`,
  );
}

t.test('each failure mode becomes a failed record with a distinct reason, and scratch is cleaned', async (t) => {
  const dir = t.testdir();
  const config = listConfig(dir, [
    { mode: 'ok', x: 21 },
    { mode: 'exit3', x: 0 },
    { mode: 'sleep', x: 30 },
    { mode: 'noresult', x: 0 },
    { mode: 'badresult', x: 0 },
  ]);
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 3, r.stderr);
  t.match(r.stdout, /1 done, 4 failed, 0 pending/);
  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  const finals = selectFinal(records);
  t.equal(finals.size, 5);
  t.equal(finals.get(0)?.status, 'done');
  t.same(finals.get(0)?.result?.y, 42);
  t.equal(finals.get(1)?.reason, 'exit code 3');
  t.equal(finals.get(1)?.exit_code, 3);
  t.match(finals.get(1)?.stderr_tail, /simulated failure/);
  t.match(finals.get(2)?.reason, /^timeout: exceeded the task time limit of 8 s/);
  t.ok((finals.get(2)?.duration_s ?? 99) < 25, 'the timed-out task was stopped, not waited for (it would sleep 30 s)');
  t.match(finals.get(3)?.reason, /^no result: .*result\.json/);
  t.match(finals.get(4)?.reason, /^bad result: result\.json is not valid JSON/);
  const reasons = [1, 2, 3, 4].map((i) => finals.get(i)?.reason?.split(':')[0]);
  t.equal(new Set(reasons).size, 4, 'four distinct reason categories');
  t.same(readdirSync(join(dir, 'scratch')), [], 'no scratch dir is left behind');
  t.ok(existsSync(join(dir, 'ens', 'outputs', '0', 'result.json')), 'kept output copied back');
  const failures = readFileSync(join(dir, 'ens', 'logs', 'failures.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.equal(failures.length, 4);
  t.same(failures[0].params, { mode: 'exit3', x: 0 });
});

t.test('a parameter value with shell metacharacters reaches the simulation as one argument and runs nothing', async (t) => {
  const dir = t.testdir();
  const evil = `$(touch ${dir}/pwned); rm -rf x "' \`touch ${dir}/pwned2\` | true > ${dir}/pwned3`;
  const config = listConfig(dir, [{ mode: 'ok', x: evil }]);
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  const rec = selectFinal(records).get(0);
  t.equal(rec?.status, 'done');
  t.same(JSON.parse(String(rec?.result?.argv)), [evil], 'argv[2] is the value, unchanged, as one word');
  t.equal(rec?.result?.label, `x=${evil}`);
  for (const f of ['pwned', 'pwned2', 'pwned3']) t.notOk(existsSync(join(dir, f)), `${f} was not created`);
});

t.test('parameters are exposed as env vars and params.json', async (t) => {
  const dir = t.testdir({
    'envsim.mjs': `import { readFileSync, writeFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.env.ARRAYFLOW_PARAMS, 'utf8'));
writeFileSync('out.csv', 'alpha_env,alpha_json,task,seed\\n' + process.env.ARRAYFLOW_PARAM_alpha + ',' + p.alpha + ',' + process.env.ARRAYFLOW_TASK_ID + ',' + p.task_seed + '\\n');`,
  });
  const config = writeConfig(
    dir,
    `name: envs
ensemble_dir: ens
command: [node, envsim.mjs]
inputs: { copy: [envsim.mjs] }
result: { file: out.csv }
parameters:
  alpha: { values: [0.25, 0.5] }
sampling: { method: grid }
executor: { workers: 1 }
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  const finals = selectFinal(records);
  t.same(finals.get(1)?.result?.alpha_env, 0.5);
  t.same(finals.get(1)?.result?.alpha_json, 0.5);
  t.same(finals.get(1)?.result?.task, 1);
  t.type(finals.get(1)?.result?.seed, 'number');
});

t.test('a reused scratch dir shows the next task only its own staged files: no result, stream or stray file of the task before', async (t) => {
  const dir = t.testdir({
    'data.txt': 'input\n',
    'sim.sh': `case "$1" in
first) echo secret-of-the-first-task >&2; echo junk > junk.txt; echo '{"y": 1}' > result.json ;;
look) seen=$(LC_ALL=C ls -A | tr '\\n' ' '); err=$(wc -c < stderr.txt); out=$(wc -c < stdout.txt)
  printf '{"seen": "%s", "err": %s, "out": %s}\\n' "$seen" "$err" "$out" > result.json; echo secret-of-the-second-task >&2; rm "$ORIG" ;;
*) echo '{"y": 3}' > result.json ;;
esac
`,
  });
  const config = writeConfig(
    dir,
    `name: reuse
ensemble_dir: ens
command: [sh, sim.sh, "{mode}"]
inputs: { copy: [sim.sh, data.txt] }
env: { ORIG: ${JSON.stringify(join(dir, 'data.txt'))} }
parameters:
  mode: { values: [first, look, last] }
sampling: { method: grid }
executor: { type: local, workers: 1, scratch: ${JSON.stringify(join(dir, 'scratch'))} }
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 3, r.stderr);
  const finals = selectFinal((await readRecordFiles(join(dir, 'ens', 'results'))).records);
  t.equal(finals.get(0)?.status, 'done');
  t.same(finals.get(1)?.result, { seen: '.arrayflow-owner data.txt params.json sim.sh stderr.txt stdout.txt ', err: 0, out: 0 }, 'the second task sees its inputs, its params and empty stream files only');
  // the third task's input is gone: it fails while staging, before its streams are opened
  t.equal(finals.get(2)?.status, 'failed');
  t.match(finals.get(2)?.reason, /^wrapper error: .*data\.txt/);
  t.equal(finals.get(2)?.stderr_tail, '', 'no stderr tail of the task that ran before in the same dir');
  t.notOk(existsSync(join(dir, 'ens', 'logs', 'tasks', '2.1.stderr')), 'no logs kept for a task whose simulation never started');
  t.same(readdirSync(join(dir, 'scratch')), [], 'no scratch dir is left behind');
});
