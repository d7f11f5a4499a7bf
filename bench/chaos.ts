// `npm run chaos`: one ensemble on the test Slurm run undisturbed, then again under seeded faults (controller SIGKILLs
// and restarts, requeues, scancels, slurmd killed, torn record lines), then checked: one row per task, no duplicate
// submission, no job left, every failed row with a reason. Exits 1 when a check fails (docs/reliability.md).
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Check, datasetFacts, jobsLeft, recordFacts, submissionFacts } from './chaos-checks.js';
import { Controllers, elementsOf, type FaultTarget, inject, openElements, Slurmd } from './chaos-faults.js';
import { FAULT_KINDS, FAULT_LABELS, type Fault, type FaultKind, planFaults } from './chaos-plan.js';
import { header, loadLine, option, s, sleep, table, workDir } from './lib.js';
import { slurmReady } from './slurm-stats.js';

const USAGE_DEFAULTS = { full: { tasks: 1000, kills: 10, each: 2 }, short: { tasks: 200, kills: 3, each: 1 } };

/** Logs every sbatch call with its exit status and output (the job id), then answers as sbatch did. */
const SBATCH_SHIM = `#!/bin/sh
out=$("$AF_CHAOS_REAL_SBATCH" "$@")
rc=$?
echo "$rc $out" >> "$AF_CHAOS_SBATCH_LOG"
printf '%s\\n' "$out"
exit $rc
`;

/** A task: sleeps its drawn time, then writes it as its result. */
const SIM = `sleep "$1"\nprintf '{"t": %s}\\n' "$1" > result.json\n`;

function config(name: string, tasks: number, seed: number, maxTime: number): string {
  return `name: ${name}
ensemble_dir: ${name}
command: [sh, sim.sh, "{t}"]
inputs: { copy: [sim.sh] }
parameters:
  t: { uniform: [0, ${maxTime}] }
sampling: { method: random, samples: ${tasks}, seed: ${seed} }
executor:
  type: slurm
  resources: { time: "00:10:00", mem: 200M }
`;
}

/** The 1-minute load average every 2 s while the runs go on. */
function loadSampler(): { stop(): { mean: number; max: number } } {
  const samples = [loadavg()[0]];
  const timer = setInterval(() => samples.push(loadavg()[0]), 2000);
  return {
    stop() {
      clearInterval(timer);
      return { mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: Math.max(...samples) };
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

interface Setup {
  dir: string;
  cli: string;
  env: NodeJS.ProcessEnv;
  sbatchLog: string;
}

async function setup(base: string): Promise<Setup> {
  const dir = base;
  await mkdir(join(dir, 'shim'), { recursive: true });
  await writeFile(join(dir, 'sim.sh'), SIM);
  await writeFile(join(dir, 'shim', 'sbatch'), SBATCH_SHIM);
  await chmod(join(dir, 'shim', 'sbatch'), 0o755);
  const real = (await execa('sh', ['-c', 'command -v sbatch'])).stdout.trim();
  const sbatchLog = join(dir, 'sbatch-calls.log');
  const env = { ...process.env, PATH: `${join(dir, 'shim')}:${process.env.PATH ?? ''}`, AF_CHAOS_REAL_SBATCH: real, AF_CHAOS_SBATCH_LOG: sbatchLog };
  return { dir, cli: join(process.env.ARRAYFLOW_BENCH_ROOT as string, 'dist', 'cli', 'main.js'), env, sbatchLog };
}

/** The undisturbed run of the same ensemble: its wall time. */
async function undisturbed(st: Setup, cfg: string): Promise<number> {
  const t0 = performance.now();
  const r = await execa(process.execPath, [st.cli, 'run', cfg, '--no-progress'], { cwd: st.dir, env: { ...st.env, AF_CHAOS_SBATCH_LOG: join(st.dir, 'sbatch-undisturbed.log') }, reject: false });
  if (r.exitCode !== 0) throw new Error(`the undisturbed run failed (exit ${r.exitCode}): ${r.stderr || r.stdout}`);
  return (performance.now() - t0) / 1000;
}

interface Disturbed {
  injected: Map<FaultKind, number>;
  /** Faults due after the run had finished (nothing left to disturb). */
  late: Fault[];
  runWall: number;
  retryWall: number;
  retried: string;
  controllers: Controllers;
  prefix: string;
  touched: Set<string>;
}

/** What the phases of the disturbed run share. */
interface RunContext {
  ens: string;
  logDir: string;
  hangS: number;
  /** When its first controller started (performance.now()). */
  t0: number;
  target: FaultTarget;
}

/**
 * Injects every fault at its instant. One with nothing to act on yet (no running element...) is due again 0.5 s later,
 * behind the faults due before that, while the run goes on; what is still due when the run has finished is `late`.
 */
async function injectAll(ctx: RunContext, faults: Fault[]): Promise<Pick<Disturbed, 'injected' | 'late'>> {
  const { controllers, slurmd } = ctx.target;
  const injected = new Map<FaultKind, number>();
  const due = faults.map((f) => ({ f, at: f.at }));
  try {
    while (due.length > 0) {
      due.sort((a, b) => a.at - b.at);
      const next = due[0];
      await sleep(Math.max(0, ctx.t0 + next.at * 1000 - performance.now()));
      if (!controllers.running) break;
      const what = await inject(next.f, ctx.target);
      if (what === null) {
        next.at = (performance.now() - ctx.t0) / 1000 + 0.5;
        continue;
      }
      due.shift();
      injected.set(next.f.kind, (injected.get(next.f.kind) ?? 0) + 1);
      console.log(`  +${s((performance.now() - ctx.t0) / 1000).padStart(7)}  ${next.f.kind.padEnd(16)} ${what}`);
    }
  } finally {
    await slurmd.up();
  }
  return { injected, late: due.map((d) => d.f) };
}

/** Waits for the last controller, then runs `retry --failed --reason cancelled` to its end. */
async function finish(ctx: RunContext): Promise<Pick<Disturbed, 'runWall' | 'retryWall' | 'retried'>> {
  const { controllers } = ctx.target;
  const ended = (code: number | null, what: string) => {
    if (code !== 0 && code !== 3) throw new Error(`${what} ended with ${code === null ? 'a signal' : `exit ${code}`}: see ${ctx.logDir}`);
  };
  ended(await controllers.wait(ctx.hangS * 1000), 'the last controller');
  const runWall = (performance.now() - ctx.t0) / 1000;
  const r0 = performance.now();
  controllers.start(['retry', ctx.ens, '--failed', '--reason', 'cancelled']);
  ended(await controllers.wait(ctx.hangS * 1000), '`arrayflow retry`');
  const log = await readFile(join(ctx.logDir, `controller-${String(controllers.history.length - 1).padStart(2, '0')}.log`), 'utf8');
  return { runWall, retryWall: (performance.now() - r0) / 1000, retried: /retried (\d+) failed task/.exec(log)?.[1] ?? '?' };
}

/** The disturbed run: `run`, the faults at their instants, the last controller to its end, then the retry of the cancelled tasks. */
async function disturbed(st: Setup, cfg: string, ens: string, faults: Fault[], hangS: number): Promise<Disturbed> {
  const logDir = join(st.dir, 'logs');
  await mkdir(logDir, { recursive: true });
  const controllers = new Controllers(st.cli, st.dir, st.env, logDir);
  const slurmd = new Slurmd(process.env.ARRAYFLOW_SLURM_DIR || '/var/tmp/arrayflow-slurm');
  const t0 = performance.now();
  controllers.start(['run', cfg]);
  const planFile = join(ens, 'plan', 'plan.json');
  const plan = await until('plan.json', async () => (existsSync(planFile) ? (JSON.parse(await readFile(planFile, 'utf8')) as { name: string; id: string }) : undefined), 120_000);
  const prefix = `af-${plan.name}-${plan.id}-`;
  const target: FaultTarget = { prefix, resultsDir: join(ens, 'results'), controllers, slurmd, restart: { run: ['run', cfg], resume: ['resume', ens] }, touched: new Set() };
  const ctx: RunContext = { ens, logDir, hangS, t0, target };
  // Ctrl-C while slurmd is down must not leave the shared cluster without it
  const interrupted = () => {
    console.error('chaos: interrupted; starting slurmd again if it is down');
    void slurmd.up().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const f = await injectAll(ctx, faults);
    return { ...f, ...(await finish(ctx)), controllers, prefix, touched: target.touched };
  } catch (e) {
    // leave nothing behind: the controller and the ensemble's jobs (by id)
    await controllers.kill();
    const open = openElements(await elementsOf(prefix)).map((x) => x.id);
    if (open.length > 0) await execa('scancel', open, { reject: false });
    throw e;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}

export async function main(argv: string[]): Promise<void> {
  if (!(await slurmReady())) return;
  if (process.getuid?.() !== 0) {
    console.error('npm run chaos must run as root: it kills and restarts slurmd and kills array elements\' processes (the test Slurm runs as root: docs/slurm-testing.md)');
    process.exitCode = 1;
    return;
  }
  const d = argv.includes('--short') ? USAGE_DEFAULTS.short : USAGE_DEFAULTS.full;
  const seed = Number(option(argv, 'seed', '1'));
  const tasks = Number(option(argv, 'tasks', String(d.tasks)));
  const kills = Number(option(argv, 'kills', String(d.kills)));
  const each = Number(option(argv, 'each', String(d.each)));
  const maxTime = Number(option(argv, 'max-time', '0.3'));
  const st = await setup(join(await workDir(argv, 'chaos'), `s${seed}-${Date.now().toString(36)}`));
  await header(`chaos: ${tasks} tasks of 0-${maxTime} s on the test Slurm, undisturbed and then under seeded faults (seed ${seed})`);
  console.log(`directory: ${st.dir}`);
  const load = loadSampler();

  await writeFile(join(st.dir, 'undisturbed.yaml'), config('undisturbed', tasks, seed, maxTime));
  const w0 = await undisturbed(st, 'undisturbed.yaml');
  console.log(`undisturbed run: ${s(w0)}; ${loadLine()}`);

  const counts: Partial<Record<FaultKind, number>> = Object.fromEntries(FAULT_KINDS.map((k) => [k, k === 'kill' ? kills : each]));
  // the faults fall inside the undisturbed run's time (the disturbed one lasts longer): every one finds work going on
  const faults = planFaults(seed, counts, 0.05 * w0, 0.8 * w0);
  console.log(`disturbed run: ${faults.length} faults between ${s(0.05 * w0)} and ${s(0.8 * w0)} (seeded)`);
  await writeFile(join(st.dir, 'chaos.yaml'), config('chaos', tasks, seed, maxTime));
  const ens = join(st.dir, 'chaos');
  const since = new Date();
  const run = await disturbed(st, 'chaos.yaml', ens, faults, Math.max(600, 10 * w0));
  const wall = run.runWall + run.retryWall;
  console.log(`disturbed run: ${s(run.runWall)} over ${run.controllers.history.length - 1} controllers; \`retry --failed --reason cancelled\` retried ${run.retried} in ${s(run.retryWall)}`);

  const left = await jobsLeft(run.prefix, 60);
  const ds = await datasetFacts(ens);
  const rec = await recordFacts(ens);
  const sub = await submissionFacts(ens, st.sbatchLog, run.prefix, since);
  const loadSeen = load.stop();
  const chunks = sub.labels.filter((l) => !l.startsWith('r')).length;
  // a task is lost only when its element vanished: one that no fault acted on must not lose any
  const untouchedLost = [...ds.failedByElement].filter(([k]) => k.endsWith(' lost') && !run.touched.has(k.split(' ')[0])).map(([k, n]) => `${k} ${n}`);
  const checks: Check[] = [
    { name: 'rows (dataset.parquet)', found: String(ds.rows), expected: `${tasks} (tasks)`, ok: ds.rows === tasks },
    { name: 'duplicate rows', found: String(ds.rows - ds.distinct), expected: '0', ok: ds.rows === ds.distinct },
    { name: 'rows (dataset.csv)', found: String(ds.csvRows), expected: String(tasks), ok: ds.csvRows === tasks },
    { name: 'sbatch calls', found: `${sub.calls} (${sub.failedCalls} refused)`, expected: `${sub.labels.length} (${chunks} chunks + ${sub.labels.length - chunks} listed resubmissions)`, ok: sub.calls === sub.labels.length && sub.failedCalls === 0 },
    { name: 'submissions journalled twice', found: sub.relabelled.join('; ') || '0', expected: '0', ok: sub.relabelled.length === 0 },
    { name: 'job names with 2+ jobs (squeue, sacct)', found: sub.twice.join('; ') || '0', expected: '0', ok: sub.twice.length === 0 },
    { name: 'jobs left queued or running', found: `${left.after.length} after ${s(left.waitedS)} (${left.atExit} when the last controller ended)${left.after.length ? `: ${left.after.join(', ')}` : ''}`, expected: '0', ok: left.after.length === 0 },
    { name: 'failed rows without a reason', found: `${ds.failedWithoutReason} of ${ds.failed}`, expected: '0', ok: ds.failedWithoutReason === 0 },
    { name: 'lost rows of elements no fault touched', found: untouchedLost.join(', ') || '0', expected: '0', ok: untouchedLost.length === 0 },
    { name: 'cancelled rows after the retry', found: String(ds.failedBy.get('cancelled') ?? 0), expected: '0', ok: !ds.failedBy.has('cancelled') },
    ...FAULT_KINDS.map((k) => ({ name: `faults: ${k}`, found: String(run.injected.get(k) ?? 0), expected: `${counts[k]}`, ok: (run.injected.get(k) ?? 0) >= (counts[k] ?? 0) })),
  ];
  console.log('');
  console.log(table(['check', 'found', 'expected', ''], checks.map((c) => [c.name, c.found, c.expected, c.ok ? 'ok' : 'FAIL'])));
  console.log('');
  console.log(table(['fault', 'injected', 'what'], FAULT_KINDS.map((k) => [k, run.injected.get(k) ?? 0, FAULT_LABELS[k]])));
  if (run.late.length) console.log(`not injected (the run had finished): ${run.late.map((f) => f.kind).join(', ')}`);
  console.log('');
  console.log(`failed rows by reason: ${[...ds.failedBy].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  if (ds.failed > 0) console.log(`failed rows by element: ${[...ds.failedByElement].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  console.log(`records: ${rec.records} for ${tasks} tasks; ${rec.rerun} task(s) recorded twice by a wrapper at one attempt (re-runs: requeues); ${rec.bad} bad line(s) skipped, ${rec.tornTails} file(s) ending in a torn line`);
  console.log(`controllers: ${run.controllers.history.map((h) => `${h.verb} ${h.exit}`).join(', ')}`);
  console.log(`wall: ${s(wall)} disturbed (run ${s(run.runWall)} + retry ${s(run.retryWall)}) vs ${s(w0)} undisturbed: ${(wall / w0).toFixed(2)}×`);
  console.log(`load average (1 min) during the runs: mean ${loadSeen.mean.toFixed(2)}, max ${loadSeen.max.toFixed(2)}; end: ${loadLine()}`);
  const failed = checks.filter((c) => !c.ok);
  console.log(failed.length === 0 ? 'chaos: every check passed' : `chaos: ${failed.length} check(s) FAILED: ${failed.map((c) => c.name).join(', ')}`);
  if (failed.length > 0) process.exitCode = 1;
}
