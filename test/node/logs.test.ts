// The simulation's stdout/stderr kept under logs/tasks/ (config `logs`, last 1 MiB), the stderr tail in every kind of
// failure record, and a result file over result.max_size: one array element run in-process, as on a compute node.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_LOG_CAP } from '../../src/config/types.js';
import { runElement } from '../../src/node/main.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { readFinals } from '../../src/records/read.js';
import { failedTasks } from '../../src/run/status.js';
import { planIn } from '../helpers/plan.js';

// 3 MiB of numbered lines: the kept log must be exactly its last 1 MiB
const NOISE = Buffer.from(Array.from({ length: 3 * 1024 * 1024 / 16 }, (_, i) => `noise ${String(i).padStart(9, '0')}\n`).join(''));

const SIM = `case "$1" in
  ok) echo "out of ok"; echo "warning of ok" >&2; echo '{"y": 1}' > result.json ;;
  fail) echo "out of fail"; echo "err of fail" >&2; exit 2 ;;
  noisy) cat noise.txt >&2; exit 1 ;;
  nan) echo "diverged at step 7" >&2; echo '{"y": nan}' > result.json ;;
  array) echo "wrote a list" >&2; echo '[1, 2]' > result.json ;;
  huge) echo "dumped the whole field" >&2; head -c 100000 /dev/zero > result.json ;;
  hang) echo "waiting for a lock" >&2; exec sleep 30 ;;
  killed) echo "about to die" >&2; kill -9 $$ ;;
esac
`;

/** One element running every task of `modes` at once, with `logs` (absent: the default) and result.max_size 64K. */
async function runModes(t: Test, modes: string[], logs?: string) {
  const dir = t.testdir({ scratch: {}, 'sim.sh': SIM, 'noise.txt': NOISE });
  const { layout } = await planIn(
    dir,
    `name: logs
ensemble_dir: ens
command: [sh, sim.sh, "{mode}"]
inputs: { copy: [sim.sh, noise.txt] }
result: { max_size: 64K }
timeout: 1s
${logs ? `logs: ${logs}` : ''}
parameters: { mode: ${JSON.stringify(modes)} }
sampling: { method: grid }
executor: { type: slurm, scratch: ${JSON.stringify(join(dir, 'scratch'))}, array: { bundle: ${modes.length}, parallel: ${modes.length} } }
`,
  );
  t.equal(await runElement(layout.root, { index: 0, offset: 0, attempt: 1, jobId: '9_0' }), 0);
  const rows = await readTaskTable(layout);
  const finals = await readFinals(layout.resultsDir);
  const byMode = new Map(rows.map((r) => [String(r.params.mode), { id: r.id, rec: finals.get(r.id) }]));
  t.same(readdirSync(join(dir, 'scratch')), [], 'scratch removed');
  const kept = () => (existsSync(layout.taskLogsDir) ? readdirSync(layout.taskLogsDir).sort() : []);
  return { layout, byMode, kept };
}

t.test('by default the logs of a failed task are kept, not those of a done one; the stderr tail is in every failure', async (t) => {
  const { layout, byMode, kept } = await runModes(t, ['ok', 'fail', 'nan', 'array', 'hang', 'killed']);
  const id = (m: string) => byMode.get(m)?.id as number;
  const failed = ['fail', 'nan', 'array', 'hang', 'killed'];
  t.same(kept(), failed.flatMap((m) => [`${id(m)}.1.stderr`, `${id(m)}.1.stdout`]).sort(), 'two files per failed task, none for the done one');
  t.equal(readFileSync(layout.taskLog(id('fail'), 1, 'stdout'), 'utf8'), 'out of fail\n');
  t.equal(readFileSync(layout.taskLog(id('fail'), 1, 'stderr'), 'utf8'), 'err of fail\n');
  t.equal(byMode.get('ok')?.rec?.status, 'done');
  t.notOk('stderr_tail' in (byMode.get('ok')?.rec ?? {}), 'a done record carries no tail');
  const expect: Record<string, [RegExp, string]> = {
    fail: [/^exit code 2$/, 'err of fail'],
    nan: [/^bad result: result\.json is not valid JSON/, 'diverged at step 7'],
    array: [/^bad result: result\.json must hold a JSON object, not an array$/, 'wrote a list'],
    hang: [/^timeout: /, 'waiting for a lock'],
    killed: [/^killed by signal SIGKILL/, 'about to die'],
  };
  for (const [mode, [reason, tail]] of Object.entries(expect)) {
    const rec = byMode.get(mode)?.rec;
    t.match(rec?.reason, reason, `${mode}: reason`);
    t.equal(rec?.stderr_tail, tail, `${mode}: stderr tail`);
  }
  // what `status --failed` reads: the kept logs' paths
  const tasks = await failedTasks(layout.root);
  t.same(tasks.map((f) => f.task), failed.map(id).sort((a, b) => a - b));
  for (const f of tasks) t.same(f.logs, { stdout: layout.taskLog(f.task, 1, 'stdout'), stderr: layout.taskLog(f.task, 1, 'stderr') });
});

t.test('logs: all keeps a done task\'s logs too; logs: none keeps nothing but the tail in the record', async (t) => {
  const all = await runModes(t, ['ok', 'fail'], 'all');
  const ok = all.byMode.get('ok')?.id as number;
  t.equal(all.kept().length, 4);
  t.equal(readFileSync(all.layout.taskLog(ok, 1, 'stderr'), 'utf8'), 'warning of ok\n');
  t.equal(readFileSync(all.layout.taskLog(ok, 1, 'stdout'), 'utf8'), 'out of ok\n');

  const none = await runModes(t, ['ok', 'fail'], 'none');
  t.same(none.kept(), []);
  t.equal(none.byMode.get('fail')?.rec?.stderr_tail, 'err of fail');
  t.same((await failedTasks(none.layout.root)).map((f) => f.logs), [null], 'status shows no log paths');
});

t.test('a kept log is the last 1 MiB of the stream; a result over result.max_size fails and stays in outputs', async (t) => {
  const { layout, byMode } = await runModes(t, ['noisy', 'huge']);
  const noisy = byMode.get('noisy')?.id as number;
  const kept = readFileSync(layout.taskLog(noisy, 1, 'stderr'));
  t.equal(kept.length, TASK_LOG_CAP);
  t.ok(kept.equals(NOISE.subarray(NOISE.length - TASK_LOG_CAP)), 'exactly the last 1 MiB of 3 MiB');
  t.equal(byMode.get('noisy')?.rec?.stderr_tail, NOISE.toString().trimEnd().split('\n').slice(-10).join('\n'), 'the tail: the last lines');

  const huge = byMode.get('huge');
  t.equal(huge?.rec?.status, 'failed');
  t.equal(huge?.rec?.reason, `result too large: result.json has 100000 bytes (> result.max_size, 65536 bytes); kept in outputs/${huge?.id}/`);
  t.equal(huge?.rec?.result, null, 'nothing of it reaches the dataset');
  t.equal(huge?.rec?.stderr_tail, 'dumped the whole field');
  t.equal(statSync(join(layout.outputs(huge?.id as number), 'result.json')).size, 100000, 'kept although keep is none');
});
