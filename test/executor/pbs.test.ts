// Tests for src/executor/pbs.ts and the PBS templates: golden scripts, directives, backend detection, and ensembles through Slurm's qsub wrapper.
import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runEnsemble } from '../../src/run/run.js';
import { renderSubmission } from '../../src/executor/batch.js';
import { pbsDirectives, pbsScheduler } from '../../src/executor/pbs.js';
import { TransportError } from '../../src/errors.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { type PlanFile, jobName } from '../../src/plan/plan.js';
import type { CommandResult, Transport } from '../../src/transport/transport.js';
import { LocalTransport } from '../../src/transport/local.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { templatesDir } from '../../src/render/render.js';
import { packageRoot } from '../../src/util/paths.js';
import { behaveSim } from '../helpers/ensemble.js';
import { requireSlurm } from '../helpers/slurm.js';

const fixtures = join(packageRoot, 'test', 'fixtures', 'pbs');
const FAST_TICK = { min: 300, max: 2000 };

function plan(over: Partial<PlanFile['executor']> = {}): PlanFile {
  const p = {
    format: 1 as const,
    name: 'sweep',
    id: 'k3x9q2',
    config_hash: '5ab8f21c00000000',
    tasks: 40,
    param_names: ['x'],
    bundle: 2,
    array_tasks: 40,
    elements: 20,
    design: { parameters: { x: { kind: 'int' as const, low: 0, high: 39 } }, sampling: { method: 'grid' as const, seed: 0 } },
    retries: 0,
    runtime: { command: ['sim'], env: {}, inputs: { copy: [], link: [] }, result: { file: 'result.json', format: 'json' as const }, keep: 'none' as const, timeout: 0, scratch: '$TMPDIR', parallel: 1 },
    executor: {
      type: 'pbs' as const,
      dialect: 'pro' as const,
      resources: { time: '1-02:30:00', mem: '1.5G', cpus: 4, partition: 'workq', account: 'proj 42' },
      array: { bundle: 2, parallel: 1, throttle: 8 },
      scratch: '$TMPDIR',
      retries: 0,
      ...over,
    },
    node: '/usr/bin/node',
    arrayflow: '/opt/arrayflow/dist/cli/main.js',
  };
  return p as PlanFile;
}

/**
 * Compares with test/fixtures/pbs/<name>; UPDATE_GOLDEN=1 rewrites the file instead. The job name is
 * src/plan/plan.ts's business, so the golden files hold `<jobName>` in its place.
 */
function golden(t: Test, name: string, rendered: string, label: string): void {
  const path = join(fixtures, name);
  const actual = rendered.replace(`#PBS -N ${jobName(plan(), label)}\n`, '#PBS -N <jobName>\n');
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, actual);
  t.equal(actual, readFileSync(path, 'utf8'), `rendered script matches ${name}`);
}

const layout = new EnsembleLayout('/scratch/alice/sweep');

t.test('rendered scripts (golden files)', async (t) => {
  const pro = pbsScheduler('pro');
  golden(t, 'pbspro-array.golden.pbs', renderSubmission(layout, plan(), pro, { label: '0000', offset: 0, count: 10, attempt: 1 }, 8), '0000');
  // one element: PBS Pro refuses arrays of one subjob, so a plain job told --index 0
  golden(t, 'pbspro-single.golden.pbs', renderSubmission(layout, plan(), pro, { label: '0002', offset: 19, count: 1, attempt: 1 }, undefined), '0002');
  // a retry of listed tasks, no throttle, no resources
  golden(t, 'pbspro-retry.golden.pbs', renderSubmission(layout, plan({ resources: {} }), pro,
    { label: 'r1', offset: 0, count: 3, attempt: 2, tasksFile: 'plan/r1-tasks.json' }, undefined), 'r1');
  const torque = pbsScheduler('torque');
  golden(t, 'torque-array.golden.pbs', renderSubmission(layout, plan({ dialect: 'torque', resources: { time: '90', mem: '2G', cpus: 2, gpus: 1, partition: 'batch' } }), torque,
    { label: '0001', offset: 10, count: 10, attempt: 1 }, 5), '0001');
});

t.test('no template escapes the one shell-quoting layer', async (t) => {
  const files = [
    ...readdirSync(templatesDir).filter((f) => f.endsWith('.mustache')).map((f) => join(templatesDir, f)),
    ...readdirSync(join(templatesDir, 'partials')).map((f) => join(templatesDir, 'partials', f)),
  ];
  t.ok(files.some((f) => f.endsWith('pbspro.pbs.mustache')) && files.some((f) => f.endsWith('torque.pbs.mustache')));
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    t.notMatch(text, /\{\{\{|\{\{\s*&/, `${f} has no {{{x}}} or {{& x}}`);
    t.notMatch(text, /["']\{\{[^}]*\}\}["']/, `${f} puts no quotes around {{x}}`);
  }
  // the plain-job exec line of pbspro.pbs mirrors the task-body partial except for the index argument
  const partial = readFileSync(join(templatesDir, 'partials', 'task-body.mustache'), 'utf8').split('\n').find((l) => l.startsWith('exec '));
  const own = readFileSync(join(templatesDir, 'pbspro.pbs.mustache'), 'utf8').split('\n').find((l) => l.startsWith('exec '));
  t.equal(own, partial?.replace('--index-from {{indexVars}}', '--index 0'));
});

t.test('directives: Slurm-style resources become PBS resources, bad values are refused', async (t) => {
  t.same(pbsDirectives(plan(), 'pro'), [
    { flag: '-l', value: 'select=1:ncpus=4:mem=1536mb' },
    { flag: '-l', value: 'walltime=26:30:00' },
    { flag: '-q', value: 'workq' },
    { flag: '-A', value: 'proj 42' },
  ]);
  t.same(pbsDirectives(plan({ resources: { cpus: 2, mem: '500', gpus: 2, extra: { place: 'scatter', '-W': 'group_list=lab' } } }), 'torque'), [
    { flag: '-l', value: 'nodes=1:ppn=2:gpus=2' },
    { flag: '-l', value: 'mem=500mb' },
    { flag: '-l', value: 'place=scatter' },
    { flag: '-W', value: 'group_list=lab' },
  ]);
  t.same(pbsDirectives(plan({ resources: {} }), 'pro'), []);
  t.throws(() => pbsDirectives(plan({ resources: { qos: 'high' } }), 'pro'), { name: 'SchedulerError', message: /qos "high" has no PBS equivalent/ });
  t.throws(() => pbsDirectives(plan({ resources: { account: 'a\n#PBS -l x=1' } }), 'pro'), { name: 'SchedulerError', message: /line break/ });
  t.throws(() => pbsDirectives(plan({ resources: { gpus: 'a100:2' } }), 'pro'), { name: 'SchedulerError', message: /number of GPUs/ });
  t.throws(() => pbsDirectives(plan({ resources: { time: 'soon' } }), 'pro'), { name: 'SchedulerError', message: /executor\.resources\.time "soon"/ });
});

/** A transport answering from a table of programs; a missing program behaves like ENOENT. */
function fakeTransport(answers: Record<string, CommandResult>): Transport & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    argvs,
    calls: new Map(),
    async run(argv: string[]) {
      argvs.push(argv);
      const a = answers[argv[0]];
      if (!a) throw new TransportError(`could not run ${argv.join(' ')}: spawn ${argv[0]} ENOENT`);
      return a;
    },
    async close() {},
  };
}

t.test('backend: a PBS server answers qmgr; without qmgr but with scontrol it is Slurm behind its qsub wrapper', async (t) => {
  const real = pbsScheduler('pro');
  const limits = await real.readLimits(fakeTransport({ qmgr: { stdout: readFileSync(join(fixtures, 'pbspro-qmgr-print-server.txt'), 'utf8'), stderr: '', exitCode: 0 } }));
  t.same(limits, { maxArraySize: 5000, maxSubmitJobs: 2000, accounting: false });
  t.equal(real.backend(), 'pbs');
  t.same(real.submitArgv('/scratch/alice/sweep/plan/scripts/chunk-0000.pbs'), ['qsub', '/scratch/alice/sweep/plan/scripts/chunk-0000.pbs']);
  t.same(real.statusArgv(['4711[].pbs01'], false), ['qstat', '-f', '-F', 'json', '-x', '-t', '4711[].pbs01']);
  t.equal(real.logFile(layout, '0000', '4711[].pbs01', 3), '/scratch/alice/sweep/logs/jobs/4711[3].pbs01.ER');

  // PBS Pro without job history forgets a finished array, and one unknown id fails the whole qstat:
  // the forgotten array is left out of the next query so the others are seen again
  t.ok(real.unknownJobs('qstat: Unknown Job Id 4711[].pbs01\n'));
  t.same(real.statusArgv(['4711[].pbs01', '4713[].pbs01'], false).slice(-1), ['4713[].pbs01']);
  t.same(real.statusArgv(['4711[].pbs01'], false).slice(-1), ['4711[].pbs01'], 'all forgotten: asked anyway');

  // PBS Pro without job history forgets a finished array, and one unknown id fails the whole qstat:
  // the forgotten array is left out of the next query so the others are seen again
  t.ok(real.unknownJobs('qstat: Unknown Job Id 4711[].pbs01\n'));
  t.same(real.statusArgv(['4711[].pbs01', '4713[].pbs01'], false).slice(-1), ['4713[].pbs01']);
  t.same(real.statusArgv(['4711[].pbs01'], false).slice(-1), ['4711[].pbs01'], 'all forgotten: asked anyway');

  const torque = pbsScheduler('torque');
  await torque.readLimits(fakeTransport({ qmgr: { stdout: '', stderr: 'qmgr: Unauthorized Request', exitCode: 1 } }));
  t.equal(torque.backend(), 'pbs', 'a qmgr that refuses still means a PBS server');
  t.same(torque.findArgv('af-x-0000', false), ['qselect', '-N', 'af-x-0000']);

  const wrapped = pbsScheduler('pro');
  const scontrol = 'ClusterName = c\nMaxArraySize = 1001\nMaxJobCount = 10000\nAccountingStorageType = accounting_storage/none\n';
  const l2 = await wrapped.readLimits(fakeTransport({ scontrol: { stdout: scontrol, stderr: '', exitCode: 0 } }));
  t.equal(wrapped.backend(), 'slurm-wrapper');
  t.equal(l2.maxArraySize, 1001);
  t.same(wrapped.submitArgv('/scratch/alice/sweep/plan/scripts/chunk-0003.pbs'), [
    'qsub', '-o', '/scratch/alice/sweep/logs/jobs/0003-%A_%a.out', '-e', '/scratch/alice/sweep/logs/jobs/0003-%A_%a.err',
    '/scratch/alice/sweep/plan/scripts/chunk-0003.pbs',
  ], 'the wrapper gets -o/-e on its command line (its own defaults would win over #PBS -o/-e)');
  t.throws(() => wrapped.submitArgv('/scratch/a b/plan/scripts/chunk-0000.pbs'), { message: /through a shell unquoted/ });
  t.same(wrapped.statusArgv(['485'], false).slice(0, 2), ['squeue', '-h']);
  // a one-element chunk is a plain job: squeue shows it without a task id, and it is element 0
  const plain = wrapped.parseStatus('486|486|486|N/A|COMPLETED|None|vm\n', false);
  t.equal(wrapped.statusByIndex(plain, '486').get(0)?.state, 'completed');

  await t.rejects(pbsScheduler('pro').readLimits(fakeTransport({})), { name: 'SchedulerError', message: /neither a PBS server/ });
});

// ------------------------------------------------------------------ end to end through Slurm's qsub wrapper

function config(dir: string, name: string, dialect: 'pro' | 'torque', xs: number[], modes: string[], array: string): string {
  const path = join(dir, `${name}.yaml`);
  // a fresh job name per run: find-by-name would adopt a finished job of an earlier run of the same config
  writeFileSync(path, `name: ${name}-${process.pid}-${Date.now() % 1e6}
ensemble_dir: ens-${name}
command: [node, behave.mjs, "{mode}", "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
timeout: 60s
parameters:
  mode: { values: ${JSON.stringify(modes)} }
  x: { values: ${JSON.stringify(xs)} }
sampling: { method: grid, seed: 7 }
executor:
  type: pbs
  dialect: ${dialect}
  resources: { time: "05:00", mem: 1G, cpus: 1 }
  array: ${array}
`);
  return path;
}

t.test('PBS Pro dialect through qsub: every task gets one row, a one-element chunk runs as a plain job', async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  // 2 modes x 6 xs = 12 tasks of one element each; max_array_size 11 -> chunks of 11 and 1
  const cfg = config(dir, 'pro', 'pro', [0, 1, 2, 3, 4, 5], ['ok', 'exit3'], '{ max_array_size: 11, throttle: 4 }');
  const transport = new LocalTransport();
  const subs: Array<{ label: string; count: number; jobId: string }> = [];
  const result = await runEnsemble(cfg, { transport, tickMs: FAST_TICK, onSubmit: (s) => subs.push(s), onProgress: () => undefined });
  t.same(subs.map((s) => s.count), [11, 1], '12 elements in chunks of 11 and 1');
  t.match(subs[0].jobId, /^[0-9]+$/, 'the wrapper prints the bare Slurm id');
  t.equal(transport.calls.get('qsub'), 2, 'one qsub per chunk');
  t.notOk(transport.calls.has('qstat'), 'status comes from squeue/sacct: the wrapper\'s qstat cannot name array elements');
  t.equal(result.done + result.failed, 12);
  t.equal(result.done, 6);
  const finals = selectFinal((await readRecordFiles(join(dir, 'ens-pro', 'results'))).records);
  t.equal(finals.size, 12, 'one final row per task');
  const failed = [...finals.values()].filter((r) => r.status === 'failed');
  t.equal(failed.length, 6);
  t.ok(failed.every((r) => r.exit_code === 3 && r.source !== 'scheduler'), 'failures are the simulation\'s own exit 3, recorded by the wrapper');
  const script = readFileSync(join(dir, 'ens-pro', 'plan', 'scripts', 'chunk-0001.pbs'), 'utf8');
  t.match(script, /--index 0 /, 'the one-element chunk was rendered as a plain job');
  t.notMatch(script, /#PBS -J/);
  const logs = readdirSync(join(dir, 'ens-pro', 'logs', 'jobs'));
  t.ok(logs.some((f) => /^0000-[0-9]+_10\.err$/.test(f)), 'element logs land in logs/jobs, named by the qsub command line');
  t.notOk(existsSync(join(process.cwd(), `chunk-0000.pbs.e${subs[0].jobId}`)), 'nothing littered the working directory');
});

t.test('Torque dialect through qsub: PBS_ARRAYID is missing under Slurm, PBS_ARRAY_INDEX is read instead', async (t) => {
  if (!(await requireSlurm(t))) return;
  const dir = t.testdir();
  const cfg = config(dir, 'torque', 'torque', [10, 11, 12, 13, 14, 15], ['ok'], '{ bundle: 2, throttle: 2 }');
  const result = await runEnsemble(cfg, { tickMs: FAST_TICK, onProgress: () => undefined });
  t.equal(result.done, 6);
  t.equal(result.failed, 0);
  const script = readFileSync(join(dir, 'ens-torque', 'plan', 'scripts', 'chunk-0000.pbs'), 'utf8');
  t.match(script, /^#PBS -t 0-2%2$/m);
  t.match(script, /--index-from PBS_ARRAYID,PBS_ARRAY_INDEX /);
});
