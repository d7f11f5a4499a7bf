// The fault injectors of `npm run chaos`: the controller (SIGKILL, restart), array elements (requeue, scancel, crash),
// slurmd (SIGKILL, restart as it was started) and record files (torn lines), each by id, on the test Slurm.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { appendFile, readFile, readdir, readlink } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Fault, pickOf } from './chaos-plan.js';
import { sleep } from './lib.js';

/** One array element of the ensemble as squeue lists it (`-r`: one line per element, `-t all`: finished ones too). */
export interface Element {
  /** `<array job>_<index>`, what scontrol and scancel take. */
  id: string;
  /** The job name (`af-<name>-<plan id>-<chunk>`). */
  name: string;
  state: string;
  /** The element's own job id (SLURM_JOB_ID inside it). */
  jobId: string;
}

/** States in which an element still runs or will run. */
const OPEN_STATES = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SUSPENDED', 'STOPPED', 'SIGNALING', 'STAGE_OUT']);

/** Every element of the jobs whose name starts with `prefix` (the ensemble's `af-<name>-<plan id>-`). */
export async function elementsOf(prefix: string): Promise<Element[]> {
  const { stdout } = await execa('squeue', ['-r', '-h', '-t', 'all', '-o', '%i|%j|%T|%A'], { timeout: 30_000 });
  return stdout
    .split('\n')
    .map((l) => l.trim().split('|'))
    .filter((f) => f.length === 4 && f[1].startsWith(prefix))
    .map(([id, name, state, jobId]) => ({ id, name, state, jobId }));
}

/** The elements still queued or running. */
export const openElements = (all: Element[]): Element[] => all.filter((e) => OPEN_STATES.has(e.state));

/** The controllers of the disturbed run, one at a time: started with `run` or `resume`, SIGKILLed by pid. */
export class Controllers {
  private proc: ChildProcess | null = null;
  private exit: Promise<number | null> | null = null;
  /** How many were started, and what each one ended with. */
  readonly history: Array<{ verb: string; exit: string }> = [];

  constructor(
    private readonly cli: string,
    private readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
  ) {}

  start(args: string[]): void {
    const n = this.history.length;
    const fd = openSync(join(this.logDir, `controller-${String(n).padStart(2, '0')}.log`), 'a');
    const proc = spawn(process.execPath, [this.cli, ...args, '--no-progress'], { cwd: this.cwd, env: this.env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const entry = { verb: args[0], exit: 'running' };
    this.history.push(entry);
    this.proc = proc;
    this.exit = once(proc, 'exit').then(([code, signal]) => {
      entry.exit = signal ? String(signal) : `exit ${code}`;
      return signal ? null : (code as number);
    });
  }

  /** Whether the current controller still runs. */
  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGKILL of the current controller (by its pid); resolves once it is gone. */
  async kill(): Promise<number | undefined> {
    const pid = this.proc?.pid;
    if (!this.running || pid === undefined) return undefined;
    process.kill(pid, 'SIGKILL');
    await this.exit;
    return pid;
  }

  /** The current controller's exit code (null: killed by a signal), or a rejection after `timeoutMs`. */
  async wait(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the controller did not finish within ${Math.round(timeoutMs / 1000)} s (a hang): see ${this.logDir}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit ?? Promise.resolve(null), hang]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** slurmd of the test cluster, read from its pid file: SIGKILLed, then started again with the argv, environment and cwd it had. */
export class Slurmd {
  private down: Promise<void> | null = null;

  constructor(private readonly stateDir: string) {}

  private async running(): Promise<{ pid: number; argv: string[]; env: NodeJS.ProcessEnv; cwd: string } | null> {
    const pid = Number((await readFile(join(this.stateDir, 'run', 'slurmd.pid'), 'utf8').catch(() => '')).trim());
    if (!pid) return null;
    try {
      const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
      if (comm !== 'slurmd') return null;
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      const env = Object.fromEntries(
        (await readFile(`/proc/${pid}/environ`, 'utf8'))
          .split('\0')
          .filter((kv) => kv.includes('='))
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      );
      return { pid, argv, env, cwd: await readlink(`/proc/${pid}/cwd`) };
    } catch {
      return null;
    }
  }

  /** Kills slurmd and starts it again `downS` seconds later, in the background; null when it is not running (or already down). */
  async kill(downS: number): Promise<string | null> {
    if (this.down) return null;
    const was = await this.running();
    if (!was) return null;
    process.kill(was.pid, 'SIGKILL');
    this.down = (async () => {
      await sleep(downS * 1000);
      // as scripts/slurm-up.sh starts it: stdin from /dev/null, output appended to log/start.log; slurmd daemonizes
      const log = openSync(join(this.stateDir, 'log', 'start.log'), 'a');
      const child = spawn(was.argv[0], was.argv.slice(1), { cwd: was.cwd, env: was.env, stdio: ['ignore', log, log] });
      closeSync(log);
      await once(child, 'exit');
      for (let i = 0; i < 150 && (await this.running()) === null; i++) await sleep(200);
      if ((await this.running()) === null) throw new Error(`slurmd did not start again (\`${was.argv.join(' ')}\`): see ${join(this.stateDir, 'log', 'slurmd.log')}`);
      this.down = null;
    })();
    // a failed restart is reported by up(), which the run awaits before its checks
    this.down.catch(() => undefined);
    return `slurmd pid ${was.pid} SIGKILLed, \`${was.argv.join(' ')}\` again in ${downS.toFixed(1)} s`;
  }

  /** Resolves once slurmd is up again (at once when it was never killed). */
  async up(): Promise<void> {
    await this.down;
  }
}

/** Pids of the processes of one element (SLURM_JOB_ID in their environment): what a crash of its node would end. */
async function pidsOfJob(jobId: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const env = await readFile(`/proc/${name}/environ`, 'latin1').catch(() => '');
    if (env.split('\0').includes(`SLURM_JOB_ID=${jobId}`)) pids.push(Number(name));
  }
  return pids;
}

/** The record file of an element (`…-<array job>_<index>.ndjson` in results/), if it has written one. */
async function recordFileOf(resultsDir: string, element: Element): Promise<string | null> {
  const names = await readdir(resultsDir).catch(() => [] as string[]);
  const name = names.find((n) => n.endsWith(`-${element.id}.ndjson`));
  return name ? join(resultsDir, name) : null;
}

/**
 * Appends to a record file the first part of its last complete line, with no newline: what a writer killed in the
 * middle of its write(2) leaves. The cut is at `span` of the line (at least one byte, never all of it).
 */
async function appendTornLine(file: string, span: number): Promise<string> {
  // the last complete line: the file may already end in a torn one
  const text = await readFile(file, 'utf8');
  const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
  const last = lines[lines.length - 1] ?? '{"task":0,"attempt":1,"status":"done"}';
  const cut = 1 + Math.floor(span * (last.length - 1));
  await appendFile(file, last.slice(0, cut));
  return `${cut} of ${last.length} bytes`;
}

/** What a fault needs to act on: the ensemble's job name prefix, its results/ directory, the controllers, slurmd. */
export interface FaultTarget {
  prefix: string;
  resultsDir: string;
  controllers: Controllers;
  slurmd: Slurmd;
  /** `run <config>` or `resume <ensemble>`: the two documented ways to restart a controller. */
  restart: { run: string[]; resume: string[] };
  /** Elements (`<job>_<i>`) an element fault was aimed at: the only ones whose tasks may end lost. */
  touched: Set<string>;
}

/** Element faults: the elements a fault may act on. */
const CANDIDATES: Partial<Record<Fault['kind'], (e: Element) => boolean>> = {
  'requeue-running': (e) => e.state === 'RUNNING',
  'requeue-finished': (e) => e.state === 'COMPLETED',
  scancel: (e) => e.state === 'RUNNING' || e.state === 'PENDING',
  crash: (e) => e.state === 'RUNNING',
  torn: (e) => e.state === 'COMPLETED' || e.state === 'FAILED' || e.state === 'CANCELLED',
};

/** Injects one fault; returns what was done, or null when nothing could be (no candidate yet: the caller tries again). */
export async function inject(fault: Fault, target: FaultTarget): Promise<string | null> {
  if (fault.kind === 'kill') {
    const pid = await target.controllers.kill();
    if (pid === undefined) return null;
    const delay = fault.span * 2;
    const args = fault.coin < 0.5 ? target.restart.resume : target.restart.run;
    await sleep(delay * 1000);
    target.controllers.start(args);
    return `controller pid ${pid} SIGKILLed; \`arrayflow ${args[0]}\` after ${delay.toFixed(1)} s`;
  }
  if (fault.kind === 'slurmd') return target.slurmd.kill(2 + fault.span * 6);
  const accept = CANDIDATES[fault.kind] as (e: Element) => boolean;
  let candidates = (await elementsOf(target.prefix)).filter(accept);
  if (fault.kind === 'crash' || fault.kind === 'torn') {
    const withFile = await Promise.all(candidates.map(async (e) => ((await recordFileOf(target.resultsDir, e)) ? e : null)));
    candidates = withFile.filter((e): e is Element => e !== null);
  }
  const el = pickOf(fault, candidates);
  if (el === null) return null;
  target.touched.add(el.id);
  switch (fault.kind) {
    case 'requeue-running':
    case 'requeue-finished': {
      const r = await execa('scontrol', ['requeue', el.id], { reject: false, timeout: 30_000 });
      return r.exitCode === 0 ? `scontrol requeue ${el.id} (${el.state})` : null;
    }
    case 'scancel':
      await execa('scancel', [el.id], { timeout: 30_000 });
      return `scancel ${el.id} (${el.state})`;
    case 'crash': {
      const pids = await pidsOfJob(el.jobId);
      // an element between its last task and its end has no process left to crash: try again later
      if (pids.length === 0) return null;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // it exited since the listing
        }
      }
      const file = (await recordFileOf(target.resultsDir, el)) as string;
      return `${el.id}: SIGKILL to its ${pids.length} processes, then a torn line (${await appendTornLine(file, fault.span)}) in ${file.split('/').pop()}`;
    }
    default: {
      const file = (await recordFileOf(target.resultsDir, el)) as string;
      return `${el.id} (${el.state}): a torn line (${await appendTornLine(file, fault.span)}) appended to ${file.split('/').pop()}`;
    }
  }
}
