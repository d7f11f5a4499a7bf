// End to end through Slurm's Torque wrappers (qsub/qdel, status from squeue/sacct): the PBS Pro and Torque dialects on the real test cluster.
import t from 'tap';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runEnsemble } from '../../src/run/run.js';
import { LocalTransport } from '../../src/transport/local.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { behaveSim } from '../helpers/ensemble.js';
import { jobsEnded, requireSlurm } from '../helpers/slurm.js';

const FAST_TICK = { min: 300, max: 2000 };

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
  const cfg = config(dir, 'pro', 'pro', [0, 1, 2, 3, 4, 5], ['ok', 'exit3'], '{ bundle: 1, max_array_size: 11, throttle: 4 }');
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
  // any element's: with stealing, an element whose task a sibling took may still be queued when the run ends
  t.ok(logs.some((f) => /^0000-[0-9]+_[0-9]+\.err$/.test(f)), 'element logs land in logs/jobs, named by the qsub command line');
  t.notOk(existsSync(join(process.cwd(), `chunk-0000.pbs.e${subs[0].jobId}`)), 'nothing littered the working directory');
  await jobsEnded(subs.map((s) => s.jobId));
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
