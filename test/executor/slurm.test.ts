// Ensembles through the real test Slurm: chunking to a forced MaxArraySize, bundles, equality with the local
// executor, status queries bounded by ticks, no values in the shell, and the failure reasons of dying elements.
import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { execa } from 'execa';
import { runEnsemble } from '../../src/run/run.js';
import type { Submission } from '../../src/executor/batch.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { LocalTransport } from '../../src/transport/local.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { behaveSim, dropTapHooks, writeConfig } from '../helpers/ensemble.js';
import { requireSlurm } from '../helpers/slurm.js';

const FAST_TICK = { min: 300, max: 2000 };
dropTapHooks();

async function rows(parquet: string, columns: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const r = await c.runAndReadAll(`select ${columns} from read_parquet('${parquet}') order by task_id`);
  return r.getRows();
}

t.test('30 tasks in chunks of a forced MaxArraySize with bundles: one row each, same dataset as local', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const evil = `$(touch ${dir}/pwned); rm -rf x "'`;
  const body = (type: string, ens: string) => `name: chunks
ensemble_dir: ${ens}
command: [node, behave.mjs, ok, "{x}", "{tag}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  x: { int: [0, 14] }
  tag: { values: [plain, ${JSON.stringify(evil)}] }
sampling: { method: grid, seed: 3 }
executor:
  type: ${type}
  resources: { time: "00:05:00", mem: 200M }
  array: { bundle: 3, max_array_size: 4, throttle: 4 }
`;
  const slurmCfg = writeConfig(dir, body('slurm', 'ens-slurm'), 'slurm.yaml');
  const transport = new LocalTransport();
  const submissions: Submission[] = [];
  const t0 = Date.now();
  const result = await runEnsemble(slurmCfg, {
    transport,
    tickMs: FAST_TICK,
    onSubmit: (s) => submissions.push(s),
    onProgress: () => undefined,
  });
  // 30 tasks / bundle 3 = 10 elements; MaxArraySize 4 -> ceil(10 / 4) = 3 submissions, the last one short
  // (the chunk arithmetic is what counts here, not the number of tasks: 150 tasks showed the same in 3x the time)
  t.equal(transport.calls.get('sbatch'), 3, 'sbatch calls = ceil(tasks / (bundle x chunk))');
  t.same(submissions.map((s) => [s.offset, s.count]), [[0, 4], [4, 4], [8, 2]]);
  t.equal(result.done, 30);
  t.equal(result.failed, 0);

  // one status query per tick for the whole ensemble: bounded by elapsed time / shortest tick, not by tasks
  // minus the find-by-name lookups before each chunk's sbatch: squeue (the live queue), then sacct
  const statusCalls = (transport.calls.get('squeue') ?? 0) - 3 + (transport.calls.get('sacct') ?? 0) - 3;
  const maxTicks = Math.ceil((Date.now() - t0) / FAST_TICK.min) + 1;
  t.ok(statusCalls >= 1 && statusCalls <= maxTicks, `status queries ${statusCalls} <= ticks ${maxTicks}`);
  t.equal(transport.calls.get('sacct'), 3, 'sacct only for the find-by-name lookups: status comes from the live queue');

  // logs/controller.log: each status query and submission at info, with its timing; logs/tasks.stats: a line per task
  const logged = readFileSync(join(dir, 'ens-slurm', 'logs', 'controller.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const queries = logged.filter((l) => l.msg === 'scheduler command' && l.op === 'status');
  t.equal(queries.length, statusCalls, 'every status query logged');
  t.ok(queries.every((q) => q.level === 'info' && typeof q.ms === 'number'), 'with the time it took');
  t.same(logged.filter((l) => l.msg === 'submitted').map((l) => l.job_id), submissions.map((s) => s.jobId));
  t.equal(readFileSync(join(dir, 'ens-slurm', 'logs', 'tasks.stats'), 'utf8').trim().split('\n').length, 30);

  const { records } = await readRecordFiles(join(dir, 'ens-slurm', 'results'));
  t.equal(records.length, 30, 'exactly one record per task');
  t.equal(selectFinal(records).size, 30);
  t.ok(readdirSync(join(dir, 'ens-slurm', 'results')).length <= 10, 'one record file per array element');
  t.notOk(existsSync(join(dir, 'pwned')), 'the shell metacharacters executed nothing');

  const localCfg = writeConfig(dir, body('local', 'ens-local'), 'local.yaml');
  const local = await runEnsemble(localCfg, { workers: 2 });
  t.equal(local.done, 30);
  const cols = 'task_id, batch, x, tag, y, label, even, argv, status, reason, exit_code, attempt';
  const a = await rows(result.parquet, cols);
  const b = await rows(local.parquet, cols);
  t.equal(a.length, 30);
  t.same(a, b, 'the Slurm dataset equals the local one (apart from host, time and job id)');
  const evilRows = a.filter((r) => r[3] === evil);
  t.equal(evilRows.length, 15);
  t.equal(evilRows[0][5], `x=${evilRows[0][2]}`);
  t.same(JSON.parse(String(evilRows[0][7])), [String(evilRows[0][2]), evil], 'the value reached the simulation as one argument');
  await transport.close();
});

t.test('time limit, memory limit, scancel and exit 3 each become a failed row with its reason; scratch is cleaned', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const scratch = (name: string) => join(dir, `scratch-${name}`);
  const cfg = (name: string, mode: string, x: string, resources: string, extra = '') =>
    writeConfig(
      dir,
      `name: ${name}
ensemble_dir: ens-${name}
command: [node, behave.mjs, "{mode}", "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  mode: { values: [${mode}] }
  x: { values: [${x}] }
sampling: { method: grid }
executor:
  type: slurm
  scratch: ${JSON.stringify(scratch(name))}
  resources: ${resources}
${extra}
`,
      `${name}.yaml`,
    );
  const configs: Record<string, string> = {};
  for (const [name, mode, x, res, extra] of [
    ['timeout', 'sleep', '300', '{ time: "1", mem: 200M }', ''],
    ['oom', 'hog', '600', '{ time: "00:05:00", mem: 150M }', '  array: { throttle: 1 }'],
    ['cancel', 'sleep', '300', '{ time: "00:05:00", mem: 200M }', ''],
    ['exit', 'exit3', '0', '{ time: "00:05:00", mem: 200M }', ''],
  ] as const) {
    configs[name] = cfg(name, mode, x, res, extra);
  }
  // the OOM ensemble gets a second, healthy element after the killed one: its wrapper sweeps the dead one's scratch
  const oomCfg = configs.oom;
  writeFileSync(oomCfg, readFileSync(oomCfg, 'utf8').replace('mode: { values: [hog] }', 'mode: { values: [hog, ok] }'));

  const cancelTransport = new LocalTransport();
  const running = (async () => {
    // cancel once the element runs
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const journal = join(dir, 'ens-cancel', 'journal.ndjson');
      if (!existsSync(journal)) continue;
      const m = /"job_id":"(\d+)"/.exec(readFileSync(journal, 'utf8'));
      if (!m) continue;
      const q = await execa('squeue', ['-h', '-j', m[1], '-o', '%T'], { reject: false });
      if (q.stdout.includes('RUNNING')) {
        await new Promise((r) => setTimeout(r, 1500)); // let the wrapper start the simulation
        await execa('scancel', [m[1]]);
        return;
      }
    }
  })();
  const results = await Promise.all(
    Object.entries(configs).map(async ([name, path]) => [name, await runEnsemble(path, { tickMs: FAST_TICK, transport: name === 'cancel' ? cancelTransport : undefined })] as const),
  );
  await running;
  const finals = async (name: string) => selectFinal((await readRecordFiles(join(dir, `ens-${name}`, 'results'))).records);
  for (const [name, r] of results) t.equal(r.pending, 0, `${name}: no task left pending`);

  const timeout = (await finals('timeout')).get(0);
  t.equal(timeout?.status, 'failed');
  t.match(timeout?.reason, /^timeout: the array element hit its time limit \(Slurm TIMEOUT\)/);

  const oom = await finals('oom');
  t.match(oom.get(0)?.reason, /^out of memory: /, 'the memory kill is recognised from the job log');
  t.match(oom.get(0)?.stderr_tail, /slurmstepd.*exceeded memory limit/, 'the end of the job log is its stderr tail');
  t.not(oom.get(0)?.exit_code, 0, 'a task the memory kill ended has no exit status 0');
  t.equal(oom.get(1)?.status, 'done');

  const cancel = (await finals('cancel')).get(0);
  t.match(cancel?.reason, /^cancelled: /);

  const exit = (await finals('exit')).get(0);
  t.equal(exit?.reason, 'exit code 3');
  t.equal(exit?.exit_code, 3);
  // written on the compute node into the shared ensemble dir, as on the local executor
  t.equal(exit?.stderr_tail, 'simulated failure: giving up');
  const kept = new EnsembleLayout(join(dir, 'ens-exit')).taskLog(0, 1, 'stderr');
  t.equal(readFileSync(kept, 'utf8'), 'simulated failure: giving up\n', 'the failed task\'s stderr kept under logs/tasks/');

  for (const name of Object.keys(configs)) {
    const root = scratch(name);
    t.same(existsSync(root) ? readdirSync(root) : [], [], `${name}: no scratch dir left behind`);
  }
  await cancelTransport.close();
});
