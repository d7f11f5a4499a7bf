// Benchmark: arrayflow at its defaults (no `array:` settings) against the hand-written `sbatch --array` script a user
// already has, end to end on the test Slurm, one after the other in the same run: wall, sbatch calls, status queries,
// slurmctld and slurmdbd RPCs, the controller's CPU and memory, and the ratios against issue 11's goals.
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type Cost, header, loadLine, mb, option, pythonExecutable, s, table, timed, workDir } from './lib.js';
import { readJournal } from '../src/journal/journal.js';
import { readRecordFiles } from '../src/records/read.js';
import { dbdStats, othersJobs, rpcDelta, sdiag, slurmReady, sum } from './slurm-stats.js';

/** The scheduler commands either side may run; a shim on PATH logs each call, then runs the real one. */
const SHIMMED = ['sbatch', 'squeue', 'sacct', 'scontrol', 'sinfo', 'scancel'];

interface Scenario {
  key: 'python' | 'trivial' | 'million';
  label: string;
  tasks: number;
  /** Tasks per element of the hand-written array (1: one task per element). */
  loop: number;
  /** The simulation's argv after the interpreter, and the interpreter. */
  sim: { interpreter: string; file: string };
  goals: string;
}

/** One side's run: what it cost and what the cluster saw. */
interface Side {
  cost: Cost;
  calls: Map<string, number>;
  ctld: number;
  dbd: number;
  rows: number;
  others: number;
}

async function shims(dir: string): Promise<string> {
  const bin = join(dir, 'shim-bin');
  await mkdir(bin, { recursive: true });
  for (const cmd of SHIMMED) {
    const real = execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim();
    await writeFile(join(bin, cmd), `#!/bin/sh\necho "${cmd}" >> "$AF_BENCH_CALLS"\nexec ${real} "$@"\n`);
    await chmod(join(bin, cmd), 0o755);
  }
  return bin;
}

/** The user's job script: one task per element, or `loop` tasks per element in a shell loop. */
function plainJob(sc: Scenario, name: string): string {
  const elements = Math.ceil(sc.tasks / sc.loop);
  const run = `mkdir -p "$AF_OUT/$i" && (cd "$AF_OUT/$i" && ${sc.sim.interpreter} "$SLURM_SUBMIT_DIR/${sc.sim.file}" "$i")`;
  const body =
    sc.loop === 1
      ? `i=$SLURM_ARRAY_TASK_ID\n${run}\n`
      : `for k in $(seq 0 ${sc.loop - 1}); do\n  i=$((SLURM_ARRAY_TASK_ID * ${sc.loop} + k))\n  [ "$i" -lt ${sc.tasks} ] || break\n  ${run}\ndone\n`;
  return `#!/bin/bash
#SBATCH --job-name=${name}
#SBATCH --array=0-${elements - 1}
#SBATCH --time=00:10:00
#SBATCH --mem=200M
#SBATCH --output=/dev/null
${body}`;
}

/**
 * The user's driver: submit, wait with squeue every 5 s, gather the results into one file. Each round writes into a
 * new directory ($1, exported to the job as AF_OUT): see {@link cleanUp} for why nothing is deleted between rounds.
 */
const PLAIN_DRIVER = `#!/bin/bash
set -e
cd "$(dirname "$0")"
mkdir "$1"
export AF_OUT="$PWD/$1"
job=$(sbatch --parsable job.sh)
while [ -n "$(squeue -h -j "$job" -o %i)" ]; do sleep 5; done
find "$1" -name result.json -exec cat {} + > results.ndjson
`;

/**
 * The floor: the same tasks with no scheduler, `slots` at a time (xargs -P), each in its own directory like the
 * hand-written job's: what the work itself costs on this machine, which neither side can go below.
 */
function floorScript(sc: Scenario, slots: number): string {
  return `#!/bin/bash
set -e
cd "$(dirname "$0")"
mkdir "$1"
seq 0 ${sc.tasks - 1} | xargs -P ${slots} -n 1 sh -c 'mkdir -p "$0/$2" && cd "$0/$2" && exec ${sc.sim.interpreter} "$1" "$2"' "$PWD/$1" "$PWD/${sc.sim.file}"
`;
}

/** Seconds ext4 keeps a freed inode from being reused (fs/ext4/ialloc.c RECENTCY_DIRTY; RECENTCY_MIN is 60). */
const EXT4_RECENTCY_S = 300;

/**
 * Every round's outputs stay until the end of the run, then go. ext4 allocates each new inode past the inodes freed in
 * the last 60-300 s (`recently_deleted`): a side that runs just after 40,000 files were deleted (the last round's
 * outputs) pays a scan per file it creates; it made the hand-written 20,000-task array 43 % slower in one run.
 */
async function cleanUp(paths: string[]): Promise<void> {
  for (const p of paths.splice(0)) await rm(p, { recursive: true, force: true });
}

/** The config a user would write for the same ensemble: no `array:` settings. */
function arrayflowConfig(sc: Scenario, name: string, dir: string): string {
  return `name: ${name}
ensemble_dir: ${JSON.stringify(join(dir, name))}
command: [${sc.sim.interpreter}, ${sc.sim.file}, "{x}"]
inputs: { copy: [${sc.sim.file}] }
parameters:
  x: { int: [0, ${sc.tasks - 1}] }
sampling: { method: grid }
executor:
  type: slurm
  resources: { time: "00:10:00", mem: 200M }
`;
}

/**
 * Where arrayflow's wall time went, from its journal and records: run start → first task start (plan, probe,
 * submission, queue), first task start → last task end, last task end → dataset collected.
 */
async function phases(ensemble: string): Promise<string> {
  const events = await readJournal(join(ensemble, 'journal.ndjson'));
  const at = (event: string) => Date.parse(events.find((e) => e.event === event)?.ts ?? '');
  let first = Infinity;
  let last = -Infinity;
  for (const rec of (await readRecordFiles(join(ensemble, 'results'))).records) {
    first = Math.min(first, Date.parse(rec.start));
    last = Math.max(last, Date.parse(rec.end));
  }
  const sec = (ms: number) => s(ms / 1000);
  return `run start → first task ${sec(first - at('run_started'))}, tasks ${sec(last - first)}, last task → dataset ${sec(at('collected') - last)}`;
}

async function countCalls(file: string): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  const text = await readFile(file, 'utf8').catch(() => '');
  for (const c of text.split('\n').filter(Boolean)) calls.set(c, (calls.get(c) ?? 0) + 1);
  return calls;
}

/** Runs one side under /usr/bin/time with the shims on PATH, reading the cluster's counters around it. */
async function side(argv: string[], dir: string, bin: string, own: string[], rows: () => Promise<number>): Promise<Side> {
  const callsFile = join(dir, 'calls.log');
  await rm(callsFile, { force: true });
  // what one `sacctmgr show stats` adds to slurmdbd's counters, so the readings do not count themselves
  const d0 = await dbdStats();
  const d1 = await dbdStats();
  const ownDbd = rpcDelta(d0, d1, new Map());
  const c0 = await sdiag();
  const startedAt = new Date();
  const cost = await timed(argv, { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, AF_BENCH_CALLS: callsFile } });
  const c1 = await sdiag();
  const d2 = await dbdStats();
  return {
    cost,
    calls: await countCalls(callsFile),
    ctld: sum(rpcDelta(c0.byType, c1.byType)),
    dbd: sum(rpcDelta(d1, d2, ownDbd)),
    rows: await rows(),
    others: await othersJobs(startedAt, own),
  };
}

const lines = async (file: string): Promise<number> => (await readFile(file, 'utf8')).split('\n').filter(Boolean).length;

async function scenario(sc: Scenario, base: string, bin: string, repeat: number, withPeer: boolean, trash: string[], slots: number): Promise<void> {
  const dir = join(base, sc.key);
  await mkdir(dir, { recursive: true });
  const sim = join(dir, sc.sim.file);
  await writeFile(
    sim,
    sc.sim.file === 'sim.py'
      ? 'import json, sys, time\ntime.sleep(0.1)\nopen("result.json", "w").write(json.dumps({"y": int(sys.argv[1]) ** 2}) + "\\n")\n'
      : 'printf \'{"y": %s}\\n\' "$1" > result.json\n',
  );
  const plainName = `plain-${sc.key}`;
  await writeFile(join(dir, 'job.sh'), plainJob(sc, plainName));
  await writeFile(join(dir, 'driver.sh'), PLAIN_DRIVER);
  await writeFile(join(dir, 'floor.sh'), floorScript(sc, slots));
  const cli = join(process.env.ARRAYFLOW_BENCH_ROOT as string, 'dist', 'cli', 'main.js');
  console.log(`## ${sc.label}`);
  console.log(`hand-written: ${dir}/job.sh (array of ${Math.ceil(sc.tasks / sc.loop)} element(s), ${sc.loop} task(s) each) + driver.sh (squeue every 5 s, then gather)`);
  const results: Record<string, Side[]> = {};
  console.log(`floor: ${dir}/floor.sh (the same tasks, no scheduler: xargs -P ${slots}, the cluster's CPUs)`);
  for (let r = 0; r < repeat; r++) {
    if (withPeer) {
      const floorOut = `out-floor-${Date.now().toString(36)}`;
      const out = `out-${Date.now().toString(36)}`;
      trash.push(join(dir, floorOut), join(dir, out));
      const floor = await side(['bash', 'floor.sh', floorOut], dir, bin, [], async () => (await readdir(join(dir, floorOut))).length);
      (results.floor ??= []).push(floor);
      console.log(`  round ${r + 1}: floor ${s(floor.cost.wall)}; ${loadLine()}`);
      const plain = await side(['bash', 'driver.sh', out], dir, bin, [plainName], () => lines(join(dir, 'results.ndjson')));
      (results['hand-written'] ??= []).push(plain);
      console.log(`  round ${r + 1}: hand-written ${s(plain.cost.wall)}; ${loadLine()}`);
    }
    const name = `e2e${sc.key}${Date.now().toString(36)}`;
    await writeFile(join(dir, `${name}.yaml`), arrayflowConfig(sc, name, dir));
    // AF_BENCH_CPU_PROF=<dir>: a V8 CPU profile of the controller alone (not of the node wrappers of its jobs)
    const prof = process.env.AF_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AF_BENCH_CPU_PROF}`] : [];
    const af = await side([process.execPath, ...prof, cli, 'run', `${name}.yaml`, '--no-progress'], dir, bin, [`af-${name}`], () =>
      lines(join(dir, name, 'dataset.csv')).then((n) => n - 1),
    );
    const planned = JSON.parse(await readFile(join(dir, name, 'plan', 'plan.json'), 'utf8')) as { bundle: number; bundle_reason?: string };
    console.log(`  round ${r + 1}: arrayflow ${s(af.cost.wall)}; bundle ${planned.bundle}: ${planned.bundle_reason ?? ''}; ${loadLine()}`);
    console.log(`    ${await phases(join(dir, name))}`);
    (results.arrayflow ??= []).push(af);
    trash.push(join(dir, name));
  }
  const queries = (x: Side) => (x.calls.get('squeue') ?? 0) + (x.calls.get('sacct') ?? 0);
  const rows = Object.entries(results).flatMap(([k, runs]) =>
    runs.map((x, i) => [
      `${k} #${i + 1}`,
      s(x.cost.wall),
      x.rows,
      x.calls.get('sbatch') ?? 0,
      queries(x),
      [...x.calls].map(([c, n]) => `${c} ${n}`).join(', '),
      x.ctld,
      x.dbd,
      s(x.cost.cpu),
      mb(x.cost.peakRssMb),
      x.others,
    ]),
  );
  console.log(table(['side', 'wall', 'rows', 'sbatch', 'status queries', 'scheduler commands', 'slurmctld RPCs', 'slurmdbd RPCs', 'CPU (driver tree)', 'peak RSS', "others' jobs"], rows));
  const bestOf = (k: string, f: (x: Side) => number) => Math.min(...(results[k] ?? []).map(f));
  const af = { wall: bestOf('arrayflow', (x) => x.cost.wall), dbd: bestOf('arrayflow', (x) => x.dbd), q: bestOf('arrayflow', queries), cpu: bestOf('arrayflow', (x) => x.cost.cpu) };
  console.log(`arrayflow best: ${s(af.wall)} wall, ${af.q} status queries (wall/30 + 5 = ${(af.wall / 30 + 5).toFixed(1)}), CPU ${s(af.cpu)} (controller + its scheduler commands)`);
  if (withPeer) {
    const plain = { wall: bestOf('hand-written', (x) => x.cost.wall), dbd: bestOf('hand-written', (x) => x.dbd) };
    const floor = bestOf('floor', (x) => x.cost.wall);
    console.log(`ratios (best of each): wall ${(af.wall / plain.wall).toFixed(2)}×, slurmdbd RPCs ${(af.dbd / plain.dbd).toFixed(2)}×`);
    console.log(`against the floor (no scheduler): hand-written ${(plain.wall / floor).toFixed(2)}×, arrayflow ${(af.wall / floor).toFixed(2)}×; the lowest ratio to the hand-written a side could reach here: ${(floor / plain.wall).toFixed(2)}×`);
  }
  console.log(`goals (issue 11): ${sc.goals}`);
  console.log('');
}

export async function main(argv: string[]): Promise<void> {
  if (!(await slurmReady())) return;
  const only = option(argv, 'only', 'python,trivial').split(',');
  const repeat = Number(option(argv, 'repeat', '1'));
  const python = option(argv, 'python', '') || pythonExecutable();
  const scenarios: Scenario[] = [
    {
      key: 'python',
      label: `${option(argv, 'tasks', '1000')} × a 0.1 s Python script`,
      tasks: Number(option(argv, 'tasks', '1000')),
      loop: 1,
      sim: { interpreter: python, file: 'sim.py' },
      goals: 'wall <= 0.6× the plain array; status queries <= wall/30 + 5; controller CPU <= 5 s; slurmdbd RPCs <= 0.2× the plain array',
    },
    {
      key: 'trivial',
      label: `${option(argv, 'trivial', '20000')} trivial tasks (sh writing a one-key result.json) against an array looping 100 per element`,
      tasks: Number(option(argv, 'trivial', '20000')),
      loop: 100,
      sim: { interpreter: 'sh', file: 'sim.sh' },
      goals: 'wall <= 1.2× the hand-written looping array',
    },
    {
      key: 'million',
      label: `${option(argv, 'million', '1000000')} trivial tasks end to end`,
      tasks: Number(option(argv, 'million', '1000000')),
      loop: 1000,
      sim: { interpreter: 'sh', file: 'sim.sh' },
      goals: 'done, one dataset of every row, <= 10 sbatch calls',
    },
  ];
  const base = await workDir(argv, 'e2e');
  const bin = await shims(base);
  await header('e2e: arrayflow with no `array:` settings against the hand-written `sbatch --array` script, on the test Slurm');
  console.log(`python3: ${python} (--python, else sys.executable of the python3 on PATH; every side runs it by this path)`);
  console.log(`each side runs alone in turn (never both at once); status queries = squeue + sacct calls (a PATH shim counts every scheduler command);`);
  console.log(`RPCs = sdiag and \`sacctmgr show stats\` after - before (they include other users' jobs in the window: see the last column)\n`);
  // what an earlier run left (it was interrupted): removed, then the freed inodes are left to age
  const stale = (await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((e) => e.isDirectory() && /^(out|out-.+|e2e.+)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
  if (stale.length > 0) {
    console.log(`removing ${stale.length} output dir(s) of an earlier run, then waiting ${EXT4_RECENTCY_S} s: ext4 would make the first side pay for the freed inodes`);
    await cleanUp(stale);
    await new Promise((r) => setTimeout(r, EXT4_RECENTCY_S * 1000));
  }
  const trash: string[] = [];
  // the cluster's CPUs (allocated/idle/other/total): what the hand-written array and arrayflow run at once
  const slots = Number(execFileSync('sinfo', ['-h', '-o', '%C'], { encoding: 'utf8' }).trim().split('/')[3]) || 8;
  try {
    for (const sc of scenarios.filter((x) => only.includes(x.key))) {
      await scenario(sc, base, bin, repeat, sc.key !== 'million' || argv.includes('--million-peer'), trash, slots);
    }
  } finally {
    await cleanUp(trash);
  }
  console.log(`outputs removed: a run started within ${EXT4_RECENTCY_S / 60} minutes would pay for their freed inodes`);
  console.log(`end: ${loadLine()}`);
}
