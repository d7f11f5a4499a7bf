// Benchmark: the ensemble's tail on the test Slurm — fixed slices (executor.array.steal: false) against claims and stealing, same tasks, same run.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readRecordFiles } from '../src/records/read.js';
import { runEnsemble } from '../src/run/run.js';
import { LocalTransport } from '../src/transport/local.js';
import { header, loadLine, option, table, workDir } from './lib.js';

const run = promisify(execFile);

/** Task durations (s): a ramp in task order (the cost grows with a parameter, so the last slices hold the slow tasks), or shuffled. */
function durations(n: number, min: number, max: number, order: string): number[] {
  const d = Array.from({ length: n }, (_, i) => Number((min + ((max - min) * i) / Math.max(1, n - 1)).toFixed(3)));
  if (order !== 'shuffled') return d;
  // a fixed permutation (LCG), the same in every run
  let s = 12345;
  for (let i = n - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [d[i], d[j]] = [d[j], d[i]];
  }
  return d;
}

interface Tail {
  mode: string;
  wall: number;
  makespan: number;
  ideal: number;
  load: string;
}

async function once(dir: string, mode: 'fixed' | 'claims', ds: number[], slots: number, sim: string): Promise<Tail> {
  const name = `tail${mode}${Date.now().toString(36)}`;
  const cfg = join(dir, `${name}.yaml`);
  await writeFile(
    cfg,
    `name: ${name}
ensemble_dir: ${JSON.stringify(join(dir, name))}
command: [sh, sim.sh, "{d}"]
inputs: { copy: [${JSON.stringify(sim)}] }
parameters:
  d: { values: ${JSON.stringify(ds)} }
sampling: { method: grid }
executor:
  type: slurm
  resources: { time: "00:10:00", mem: 100M }
  array: { bundle: ${Math.ceil(ds.length / slots)}, steal: ${mode === 'claims'} }
`,
  );
  const t0 = performance.now();
  await runEnsemble(cfg, { transport: new LocalTransport(), onProgress: () => undefined });
  const wall = (performance.now() - t0) / 1000;
  const { records } = await readRecordFiles(join(dir, name, 'results'));
  const start = Math.min(...records.map((r) => Date.parse(r.start)));
  const end = Math.max(...records.map((r) => Date.parse(r.end)));
  const work = records.reduce((s, r) => s + r.duration_s, 0);
  const longest = Math.max(...records.map((r) => r.duration_s));
  return { mode, wall, makespan: (end - start) / 1000, ideal: work / slots + longest, load: loadLine() };
}

export async function main(argv: string[]): Promise<void> {
  const tasks = Number(option(argv, 'tasks', '64'));
  const min = Number(option(argv, 'min', '0.1'));
  const max = Number(option(argv, 'max', '1'));
  const order = option(argv, 'order', 'ramp');
  const repeat = Number(option(argv, 'repeat', '2'));
  await header(`tail: ${tasks} tasks of ${min}-${max} s (${order}) on the test Slurm, fixed slices against claims`);
  // jobs inherit the submitter's environment: no loader hooks in every task's node
  delete process.env.NODE_OPTIONS;
  // sinfo %C: allocated/idle/other/total CPUs; the slots are the total (the test cluster is one node)
  const slots = Number((await run('sinfo', ['-h', '-o', '%C'], { timeout: 10_000 })).stdout.trim().split('/')[3]);
  const dir = await workDir(argv, 'tail');
  const sim = join(dir, 'sim.sh');
  // sleeps for its argument: the tasks cost no CPU of the shared cores, only time
  await writeFile(sim, 'sleep "$1"\nprintf \'{"d": %s}\\n\' "$1" > result.json\n');
  const ds = durations(tasks, min, max, order);
  console.log(`${slots} CPUs (sinfo): ${slots} elements of ${Math.ceil(tasks / slots)} tasks; ideal = measured work / ${slots} + the longest task`);
  const rows: Tail[] = [];
  for (let i = 0; i < repeat; i++) {
    // alternate which goes first, so neither always meets the same moment of a shared machine
    const modes: Array<'fixed' | 'claims'> = i % 2 === 0 ? ['fixed', 'claims'] : ['claims', 'fixed'];
    for (const m of modes) {
      const r = await once(dir, m, ds, slots, sim);
      rows.push(r);
      console.log(`  ${m}: makespan ${r.makespan.toFixed(2)} s, ideal ${r.ideal.toFixed(2)} s, ratio ${(r.makespan / r.ideal).toFixed(3)}; ${r.load}`);
    }
  }
  console.log('');
  console.log(
    table(
      ['mode', 'makespan s', 'ideal s', 'ratio', 'wall s (plan to dataset)', 'load after'],
      rows.map((r) => [r.mode, r.makespan.toFixed(2), r.ideal.toFixed(2), (r.makespan / r.ideal).toFixed(3), r.wall.toFixed(1), r.load]),
    ),
  );
  const bestOf = (m: string) => Math.min(...rows.filter((r) => r.mode === m).map((r) => r.makespan / r.ideal));
  console.log(`best ratio: fixed ${bestOf('fixed').toFixed(3)}, claims ${bestOf('claims').toFixed(3)} (goal: claims <= 1.15)`);
}
