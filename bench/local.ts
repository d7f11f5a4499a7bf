// Benchmark: the local executor (2 workers) against `xargs -P 2` and GNU parallel on tiny tasks, and the node runner
// (`arrayflow task` running one array element of N tasks) against a shell loop spawning the same simulation N times.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLocal } from '../src/executor/local.js';
import { readPlan } from '../src/plan/read.js';
import { retryPolicy } from '../src/records/owed.js';
import { childArgs, type Cost, header, loadLine, option, pythonExecutable, report, s, startClock, table, timed, workDir } from './lib.js';

interface Scenario {
  key: 'true' | 'result' | 'python';
  label: string;
  tasks: number;
  /** The simulation's argv for arrayflow (it writes result.json in scratch). */
  argv: string[];
  /** The same for xargs and parallel: they append the task's own output path (a per-task file) to it. */
  peer: string[];
  /** Goal of issue 11 for the executor against xargs -P 2 (null: none stated). */
  goal: number | null;
}

/** A build to measure: the one this run snapshotted, or another (`--compare <package root>`). */
interface Build {
  name: string;
  root: string;
}

/** Best (lowest) of the runs, as every benchmark here reports: the run least disturbed by other processes. */
const best = (xs: number[]): number => Math.min(...xs);
const cli = (b: Build) => join(b.root, 'dist', 'cli', 'main.js');
const buildEnv = (b: Build): NodeJS.ProcessEnv => ({ ...process.env, ARRAYFLOW_BENCH_ROOT: b.root, ARRAYFLOW_BIN: cli(b) });

const runJs = fileURLToPath(new URL('./run.js', import.meta.url));

/** The executor alone in a fresh Node process of build `b`: its report's seconds (module load excluded) and the CPU of the whole tree. */
async function executor(b: Build, dir: string, workers: number): Promise<Cost> {
  const c = await timed([process.execPath, runJs, 'local', '--child', 'executor', JSON.stringify({ dir, workers })], { env: buildEnv(b) });
  const line = c.stdout.split('\n').find((l) => l.startsWith('BENCH_REPORT '));
  if (!line) throw new Error('the executor child printed no report');
  return { ...c, wall: (JSON.parse(line.slice('BENCH_REPORT '.length)) as { seconds: number }).seconds };
}

function run(argv: string[], env?: NodeJS.ProcessEnv, cwd?: string): void {
  const r = spawnSync(argv[0], argv.slice(1), { env, cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
}

function configText(sc: Scenario, ensembleDir: string, executor: string): string {
  return `name: bench-local-${sc.key}
ensemble_dir: ${JSON.stringify(ensembleDir)}
command: ${JSON.stringify(sc.argv)}
parameters:
  i: { int: [1, ${sc.tasks}] }
sampling: { method: grid }
executor: ${executor}
`;
}

/** Plans a fresh ensemble of `sc` with build `b`; returns its directory. */
async function planFresh(b: Build, base: string, sc: Scenario, tag: string, executor: string): Promise<string> {
  const dir = join(base, `${sc.key}-${tag}`);
  await rm(dir, { recursive: true, force: true });
  const cfg = join(base, `${sc.key}-${tag}.yaml`);
  await writeFile(cfg, configText(sc, dir, executor));
  run([process.execPath, cli(b), 'plan', cfg], buildEnv(b));
  return dir;
}

/** In a child: runLocal over every task of a planned ensemble (the executor alone: no live dataset, no collect). */
async function executorChild(a: { dir: string; workers: number }): Promise<void> {
  const { layout, plan } = await readPlan(a.dir);
  const items = Array.from({ length: plan.tasks }, (_, task) => ({ task, attempt: 1 }));
  let records = 0;
  const clock = startClock();
  await runLocal(layout, items, { workers: a.workers, runId: 'bench', policy: retryPolicy(0, undefined), onRecord: () => records++ });
  const t = clock.stop();
  if (records !== plan.tasks) throw new Error(`${records} records for ${plan.tasks} tasks`);
  report({ ...t, records });
}

/** The peers' inputs: one output path per task, one per line (xargs and parallel append it as the last argument). */
async function peerInputs(base: string, sc: Scenario): Promise<{ list: string; outDir: string }> {
  const outDir = join(base, `${sc.key}-peer-out`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const list = join(base, `${sc.key}-peer-list.txt`);
  await writeFile(list, Array.from({ length: sc.tasks }, (_, i) => join(outDir, `r-${i}.json`)).join('\n') + '\n');
  return { list, outDir };
}

export async function main(argv: string[]): Promise<void> {
  const c = childArgs(argv);
  if (c !== null) return executorChild(c.args as { dir: string; workers: number });

  const tasks = Number(option(argv, 'tasks', '2000'));
  const pyTasks = Number(option(argv, 'python-tasks', '500'));
  const elementTasks = Number(option(argv, 'element-tasks', '200'));
  const workers = Number(option(argv, 'workers', '2'));
  const repeat = Number(option(argv, 'repeat', '2'));
  const only = option(argv, 'only', 'true,result,python,element').split(',');
  const compareRoot = option(argv, 'compare', '');
  const base = await workDir(argv, 'local');
  const python = pythonExecutable();
  const hasParallel = spawnSync('parallel', ['--version'], { stdio: 'ignore' }).status === 0;

  const write = join(base, 'write.sh');
  await writeFile(write, `printf '{"v": 1}\\n' > "$1"\n`);
  const sim = join(base, 'sim.py');
  await writeFile(sim, `import json, sys\njson.dump({"v": 1}, open(sys.argv[1], "w"))\n`);
  const scenarios: Scenario[] = [
    { key: 'true', label: `${tasks} × /bin/true`, tasks, argv: ['/bin/true'], peer: ['/bin/true'], goal: null },
    { key: 'result', label: `${tasks} × sh writing a one-key result file`, tasks, argv: ['/bin/sh', write, 'result.json'], peer: ['/bin/sh', write], goal: 2.5 },
    { key: 'python', label: `${pyTasks} × python3 writing result.json`, tasks: pyTasks, argv: [python, sim, 'result.json'], peer: [python, sim], goal: 1.15 },
  ];

  await header(`local: the local executor (${workers} workers) and the node runner against xargs -P ${workers}${hasParallel ? ' and GNU parallel' : ''} on tiny tasks`);
  const builds: Build[] = [{ name: 'this build', root: process.env.ARRAYFLOW_BENCH_ROOT as string }];
  if (compareRoot) builds.push({ name: `compare (${compareRoot})`, root: compareRoot });
  console.log(`python: ${python}; GNU parallel: ${hasParallel ? 'yes' : 'not installed (apt-get install parallel)'}; each figure: best of ${repeat} (wall and CPU separately), the tools interleaved`);
  console.log(`executor = runLocal alone in a fresh Node process (workers start, run every task, exit; plan untimed, no live dataset, no collect)`);
  console.log(`arrayflow run = the CLI end to end (plan, workers, live dataset, collect)`);
  console.log(`overhead/task (wall) = (tool - xargs) × ${workers} workers / tasks; overhead/task (CPU) = (tool - xargs) CPU / tasks, CPU = user + system of the`);
  console.log(`whole process tree (/usr/bin/time), the figure least disturbed by other processes on a shared machine\n`);

  const summary: Array<Array<string | number>> = [];
  for (const sc of scenarios.filter((x) => only.includes(x.key))) {
    const peer = await peerInputs(base, sc);
    const runs: Record<string, Cost[]> = {};
    const add = (k: string, v: Cost) => (runs[k] ??= []).push(v);
    const loads: string[] = [];
    for (let r = 0; r < repeat; r++) {
      add('xargs', await timed(['xargs', '-P', String(workers), '-n', '1', ...sc.peer], { stdinFile: peer.list }));
      for (const [k, b] of builds.entries()) add(`executor ${b.name}`, await executor(b, await planFresh(b, base, sc, `x${k}`, `{ type: local, workers: ${workers} }`), workers));
      if (hasParallel) add('parallel', await timed(['parallel', '-j', String(workers), ...sc.peer], { stdinFile: peer.list }));
      for (const [k, b] of builds.entries()) {
        const dir = join(base, `${sc.key}-run${k}`);
        await rm(dir, { recursive: true, force: true });
        const cfg = join(base, `${sc.key}-run${k}.yaml`);
        await writeFile(cfg, configText(sc, dir, `{ type: local, workers: ${workers} }`));
        // /bin/true writes no result: every task fails and `run` exits 3 (finished with failed tasks)
        const okCodes = sc.key === 'true' ? [3] : [0];
        add(`arrayflow run ${b.name}`, await timed([process.execPath, cli(b), 'run', cfg, '--no-progress'], { env: buildEnv(b), okCodes }));
      }
      loads.push(loadLine().replace(/ \(1\/5\/15 min\).*/, ''));
    }
    const x = { wall: best(runs.xargs.map((c) => c.wall)), cpu: best(runs.xargs.map((c) => c.cpu)) };
    const perTask = (a: number, b: number, w: number) => `${(((a - b) * w * 1000) / sc.tasks).toFixed(2)} ms`;
    console.log(`${sc.label}: ${loads.map((l, i) => `after round ${i + 1}: ${l}`).join('; ')}`);
    const rows = Object.entries(runs).map(([k, v]) => {
      const wall = best(v.map((c) => c.wall));
      const cpu = best(v.map((c) => c.cpu));
      const peerRow = k === 'xargs';
      return [k, s(wall), v.map((c) => s(c.wall)).join(' / '), `${(wall / x.wall).toFixed(2)}×`, peerRow ? '' : perTask(wall, x.wall, workers), s(cpu), peerRow ? '' : perTask(cpu, x.cpu, 1)];
    });
    console.log(table(['tool', 'wall', 'runs', `vs xargs -P ${workers}`, 'overhead/task (wall)', 'CPU', 'overhead/task (CPU)'], rows));
    console.log('');
    for (const b of builds) {
      const v = runs[`executor ${b.name}`];
      const wall = best(v.map((c) => c.wall));
      const cpu = best(v.map((c) => c.cpu));
      const over = ((wall - x.wall) * workers * 1000) / sc.tasks;
      const goal = sc.goal === null ? '' : ` (goal <= ${sc.goal}×: ${wall / x.wall <= sc.goal ? 'met' : 'MISSED'})`;
      summary.push([sc.label, b.name, `${(wall / x.wall).toFixed(2)}×${goal}`, `${over.toFixed(2)} ms (goal <= 3 ms: ${over <= 3 ? 'met' : 'MISSED'})`, perTask(cpu, x.cpu, 1)]);
    }
  }

  if (only.includes('element')) {
    // one array element of N tasks run by `arrayflow task` directly (no scheduler), against a shell loop
    const n = elementTasks;
    const sc = { ...scenarios[1], tasks: n };
    const loopDir = join(base, 'element-loop');
    const loop = ['/bin/sh', '-c', `i=0; while [ "$i" -lt ${n} ]; do /bin/sh "$0" "r-$i.json"; i=$((i+1)); done`, write];
    const runs: Record<string, Cost[]> = {};
    const add = (k: string, v: Cost) => (runs[k] ??= []).push(v);
    const loads: string[] = [];
    for (let r = 0; r < Math.max(repeat, 3); r++) {
      await rm(loopDir, { recursive: true, force: true });
      await mkdir(loopDir, { recursive: true });
      add('shell loop', await timed(loop, { cwd: loopDir }));
      for (const [k, b] of builds.entries()) {
        const dir = await planFresh(b, base, sc, `element${k}`, `{ type: slurm, array: { bundle: ${n}, parallel: 1 } }`);
        add(`element ${b.name}`, await timed([process.execPath, cli(b), 'task', dir, '--index', '0'], { env: buildEnv(b) }));
        // element 1 is past the end: start-up, plan read and the scratch sweep, no task
        add(`empty element ${b.name}`, await timed([process.execPath, cli(b), 'task', dir, '--index', '1'], { env: buildEnv(b) }));
        const recs = (await readdir(join(dir, 'results'))).length;
        if (recs !== 1) throw new Error(`element run left ${recs} record files (the empty element writes none)`);
      }
      loads.push(loadLine().replace(/ \(1\/5\/15 min\).*/, ''));
    }
    const med = (k: string, f: 'wall' | 'cpu') => best(runs[k].map((c) => c[f]));
    console.log(`one array element of ${n} tasks (sh writing a one-key result file, parallel 1) against a shell loop: ${loads.map((l, i) => `after round ${i + 1}: ${l}`).join('; ')}`);
    console.log(table(['process', 'wall', 'runs', 'CPU'], Object.entries(runs).map(([k, v]) => [k, s(med(k, 'wall')), v.map((c) => s(c.wall)).join(' / '), s(med(k, 'cpu'))])));
    for (const b of builds) {
      const per = (f: 'wall' | 'cpu') => (((med(`element ${b.name}`, f) - med(`empty element ${b.name}`, f) - med('shell loop', f)) * 1000) / n).toFixed(2);
      console.log(`${b.name}: start-up ${s(med(`empty element ${b.name}`, 'wall'))} (CPU ${s(med(`empty element ${b.name}`, 'cpu'))}); per-task overhead inside the element beyond spawning the simulation: ${per('wall')} ms wall (goal <= 5 ms: ${Number(per('wall')) <= 5 ? 'met' : 'MISSED'}), ${per('cpu')} ms CPU`);
    }
    console.log('');
  }

  if (summary.length > 0) console.log(table(['tasks', 'build', `executor vs xargs -P ${workers} (wall)`, 'overhead/task (wall)', 'overhead/task (CPU)'], summary));
  if (existsSync(base)) console.log(`inputs and ensembles in ${base}`);
  console.log(`end: ${loadLine()}`);
}
