// Shared helpers of the benchmarks: machine facts, load, measured child processes (wall time, peak RSS), best-of-N, tables.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root (bench/ is compiled to node_modules/.cache/arrayflow-bench/bench/). */
export const packageRoot = fileURLToPath(new URL('../../../../', import.meta.url));
/** run.js next to this file: every child process goes through it, so the dist/ resolve hook is registered. */
const runJs = fileURLToPath(new URL('./run.js', import.meta.url));

/** What one measured child reports: its own figures plus how long the measured call took. */
export interface ChildReport {
  /** Seconds spent in the measured call (module loading and process start excluded). */
  seconds: number;
  /** CPU seconds (user + system, all threads) of the measured call: what it costs apart from waiting for the cores. */
  cpuSeconds: number;
  /** Peak resident set of the child, MB (process.resourceUsage().maxRSS). */
  peakRssMb: number;
  /** Anything else the child wants to report (row counts, bytes, phase times). */
  [key: string]: unknown;
}

/** A child's report plus what the parent saw: wall time from spawn to exit. */
export interface Measured extends ChildReport {
  processSeconds: number;
}

const REPORT_PREFIX = 'BENCH_REPORT ';

/** Starts timing a measured call: `stop()` gives its wall and CPU seconds. */
export function startClock(): { stop(): { seconds: number; cpuSeconds: number }; lap(): number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return {
    stop() {
      const c = process.cpuUsage(c0);
      return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
    },
    lap: () => (performance.now() - t0) / 1000,
  };
}

/** In a child: prints the report (with peak RSS) for the parent to read. */
export function report(fields: { seconds: number; cpuSeconds: number } & Record<string, unknown>): void {
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify({ ...fields, peakRssMb })}\n`);
}

/**
 * Runs `run.js <bench> --child <mode> <json args>` in a fresh Node process (cold JIT, own RSS) and
 * returns its report. A child that fails rejects with its stderr.
 */
export function measureChild(bench: string, mode: string, args: unknown, env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runJs, bench, '--child', mode, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const processSeconds = (performance.now() - t0) / 1000;
      const line = out.split('\n').find((l) => l.startsWith(REPORT_PREFIX));
      if (code !== 0 || line === undefined) {
        reject(new Error(`bench child ${bench} ${mode} exited ${code}: ${err.trim().split('\n').slice(-15).join('\n')}`));
        return;
      }
      resolve({ ...(JSON.parse(line.slice(REPORT_PREFIX.length)) as ChildReport), processSeconds });
    });
  });
}

/** The arguments a child was started with (see {@link measureChild}), or null in the parent. */
export function childArgs(argv: string[]): { mode: string; args: unknown } | null {
  const i = argv.indexOf('--child');
  if (i < 0) return null;
  return { mode: argv[i + 1], args: JSON.parse(argv[i + 2] ?? 'null') };
}

/** Value of `--name value` in argv, or the fallback. */
export function option(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

/** Best (lowest time) of several measurements; the peak RSS reported is the highest seen in any of them. */
export function best(runs: Measured[]): Measured & { runs: number; peakRssMaxMb: number; worstSeconds: number; bestCpuSeconds: number } {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return {
    ...sorted[0],
    runs: runs.length,
    peakRssMaxMb: Math.max(...runs.map((r) => r.peakRssMb)),
    worstSeconds: sorted[sorted.length - 1].seconds,
    bestCpuSeconds: Math.min(...runs.map((r) => r.cpuSeconds)),
  };
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (1/5/15 min) on ${cpus().length} cores`;
}

/** One paragraph about the machine, printed atop every benchmark. */
export async function machineLine(): Promise<string> {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const gib = (n: number) => (n / 2 ** 30).toFixed(1);
  let fs = '';
  try {
    const mounts = await readFile('/proc/mounts', 'utf8');
    const best = mounts
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 2 && packageRoot.startsWith(f[1]))
      .sort((a, b) => b[1].length - a[1].length)[0];
    if (best) fs = `, ${packageRoot} on ${best[2]} (${best[0]})`;
  } catch {
    // no /proc/mounts (macOS): the filesystem is not shown
  }
  return `Node ${process.version}, Linux ${release()}, ${cpus().length} × ${cpu}, ${gib(totalmem())} GiB RAM (${gib(freemem())} free)${fs}`;
}

/** Prints the benchmark's header: what it is, the machine, the load now. */
export async function header(title: string): Promise<void> {
  console.log(`# ${title}`);
  console.log(`machine: ${await machineLine()}`);
  console.log(`build: ${process.env.ARRAYFLOW_BENCH_ROOT ?? packageRoot}/dist (a copy of dist/ taken when this run started)`);
  console.log(`${loadLine()} at start; other processes on this machine share the cores, so figures are best of N`);
  console.log('');
}

/** A fixed-width text table. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const s = (x: number): string => (x < 0.01 ? `${(x * 1000).toFixed(2)} ms` : x < 1 ? `${(x * 1000).toFixed(0)} ms` : `${x.toFixed(2)} s`);
export const mb = (x: number): string => `${x.toFixed(0)} MB`;
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;

/** Where benchmarks keep generated inputs: runs/bench/ (git-ignored), or `--dir`. */
export async function workDir(argv: string[], name: string): Promise<string> {
  const dir = join(option(argv, 'dir', join(packageRoot, 'runs', 'bench')), name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * The interpreter `python3` on PATH runs, as an absolute path (`sys.executable`): a version manager's shim (pyenv's is a
 * bash script, ~150 ms a start on this machine) would make every side's figure the shim's.
 */
export function pythonExecutable(): string {
  return spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout?.trim() || 'python3';
}

/** Milliseconds-resolution sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one measured command cost: wall seconds from spawn to exit, CPU seconds (user + system) of it and its descendants, peak RSS. */
export interface Cost {
  wall: number;
  cpu: number;
  /** Peak resident set of the largest process of the tree, MB (GNU time's %M). */
  peakRssMb: number;
  stdout: string;
}

const TIME_PREFIX = 'BENCH_TIME ';

/**
 * Runs a command under /usr/bin/time (its CPU includes every descendant it waited for: workers and simulations),
 * stdin from a file or ignored; rejects on an exit code not in `okCodes` (default 0). CPU time is less sensitive to the shared machine's
 * load than wall time.
 */
export function timed(argv: string[], opts: { stdinFile?: string; cwd?: string; env?: NodeJS.ProcessEnv; okCodes?: number[] } = {}): Promise<Cost> {
  const fd = opts.stdinFile ? openSync(opts.stdinFile, 'r') : 'ignore';
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/time', ['-f', `${TIME_PREFIX}%U %S %M`, ...argv], { stdio: [fd, 'pipe', 'pipe'], cwd: opts.cwd, env: opts.env });
    if (typeof fd === 'number') closeSync(fd);
    let out = '';
    let err = '';
    p.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      const line = err.split('\n').find((l) => l.startsWith(TIME_PREFIX));
      if (!(opts.okCodes ?? [0]).includes(code as number) || !line) return reject(new Error(`${argv.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      const [user, sys, rssKb] = line.slice(TIME_PREFIX.length).split(' ').map(Number);
      resolve({ wall, cpu: user + sys, peakRssMb: rssKb / 1024, stdout: out });
    });
  });
}

/** Small seeded PRNG (mulberry32): the same inputs on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REGIMES = ['laminar', 'transitional', 'turbulent', 'stalled'];

/** 9 result columns: 8 float64 + 1 string, as a simulation's result.json would hold them. */
export function resultOf(i: number, next: () => number): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (let k = 1; k <= 8; k++) out[`r${k}`] = next() * 10 ** (k % 4);
  out.regime = `${REGIMES[i % REGIMES.length]}-${Math.floor(next() * 1000)}`;
  return out;
}
