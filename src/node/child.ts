// The simulation as a child process of the wrapper: spawned without a shell in its own process group, its exit,
// its time limit, and the wrapper-wide state that stops every running simulation on SIGTERM (or, in a local
// worker, when the controller ends its input: Ctrl-C, or the controller died).

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { type Served, type ServedExit, SpawnServer } from './spawn-server.js';
import { type TaskLimits, watchMemory } from './limits.js';

/** Seconds between SIGTERM and SIGKILL when a simulation must stop. */
const KILL_GRACE_S = 3;

interface Running {
  kill(signal: NodeJS.Signals): void;
}

/** Why a wrapper stops its simulations: a signal it received, or (a local worker) the end of its input. */
export type StopCause = NodeJS.Signals | 'end of input';

/** State shared by all tasks of one wrapper process: termination request and the children to stop. */
export class WrapperState {
  terminating: StopCause | null = null;
  readonly children = new Set<Running>();

  /**
   * @param interrupts a local worker's: a stop interrupts its tasks (status `interrupted`, run again by `resume`)
   * instead of failing them as an array element's SIGTERM does (time limit, cancel, preemption: the scheduler says which).
   */
  constructor(readonly interrupts = false) {}

  /** Whether a task that did not complete was stopped by an interrupt rather than failing. */
  get interrupted(): boolean {
    return this.interrupts && this.terminating !== null;
  }

  terminate(cause: StopCause): void {
    if (this.terminating) return;
    this.terminating = cause;
    for (const c of this.children) c.kill('SIGTERM');
    setTimeout(() => {
      for (const c of this.children) c.kill('SIGKILL');
    }, KILL_GRACE_S * 1000).unref();
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Killed for using more memory than its limit (resources.mem on the local executor). */
  memExceeded: boolean;
  spawnError: NodeJS.ErrnoException | null;
  /** Why it was killed when what started it died (./spawn-server.ts), or null. */
  lost?: string | null;
}

/** A started simulation: its exit, and a way to end it (process group: SIGTERM, then SIGKILL after a grace). */
export interface Started {
  exited: Promise<Exit>;
  stop(): Promise<void>;
}

/**
 * Where a simulation's stdout and stderr go: files, appended to (the wrapper has created them empty), or descriptors this
 * process holds (`reproduce` in the foreground: the terminal), which only Node's own spawn can hand over.
 */
export interface Streams {
  stdout: string | number;
  stderr: string | number;
}

/** Node's own spawn: for descriptors, while the spawn server starts, and where none can run (./spawn-server.ts). */
function nodeSpawn(argv: string[], cwd: string, env: NodeJS.ProcessEnv, streams: Streams): Served {
  const opened: number[] = [];
  const fdOf = (target: string | number): number => {
    if (typeof target === 'number') return target;
    opened.push(openSync(target, 'a'));
    return opened[opened.length - 1];
  };
  let child: ChildProcess;
  try {
    // detached: the simulation gets its own process group, so a timeout kills its children too
    child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', fdOf(streams.stdout), fdOf(streams.stderr)], detached: true });
  } finally {
    // spawning is synchronous: the simulation holds its own copies of these descriptors now
    for (const fd of opened) closeSync(fd);
  }
  const exit = new Promise<ServedExit>((resolve) => {
    child.on('error', (error) => resolve({ code: null, signal: null, error, lost: null, groupKilled: false }));
    child.on('exit', (code, signal) => resolve({ code, signal, error: null, lost: null, groupKilled: false }));
  });
  return { pid: Promise.resolve(child.pid ?? null), exit };
}

export function startCommand(argv: string[], cwd: string, env: NodeJS.ProcessEnv, streams: Streams, limits: TaskLimits, state: WrapperState): Started {
  const timeout = limits.time;
  let timedOut = false;
  let memExceeded = false;
  let settled = false;
  let resolveExit: (e: Exit) => void = () => undefined;
  const exited = new Promise<Exit>((resolve) => (resolveExit = resolve));
  const { stdout, stderr } = streams;
  // a NUL cannot cross the server's protocol (nor be in an argument at all): Node's spawn refuses it with its own error
  const nul = argv.some((a) => a.includes('\0')) || Object.values(env).some((v) => v?.includes('\0'));
  const server = typeof stdout === 'string' && typeof stderr === 'string' && !nul ? SpawnServer.get() : null;
  const served = server ? server.start(argv, cwd, env, stdout as string, stderr as string) : nodeSpawn(argv, cwd, env, streams);
  // the process group's id once the simulation runs; a signal asked for before that is sent then
  let pid: number | null = null;
  let owed: NodeJS.Signals | null = null;
  const running: Running = {
    kill(signal) {
      if (pid === null) {
        if (!settled && owed !== 'SIGKILL') owed = signal;
        return;
      }
      try {
        process.kill(-pid, signal);
      } catch {
        // already gone
      }
    },
  };
  let stopWatch: (() => void) | null = null;
  const finish = (exit: Exit) => {
    if (settled) return;
    settled = true;
    state.children.delete(running);
    if (timer) clearTimeout(timer);
    stopWatch?.();
    resolveExit(exit);
  };
  state.children.add(running);
  const timer =
    timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          running.kill('SIGTERM');
          setTimeout(() => running.kill('SIGKILL'), KILL_GRACE_S * 1000).unref();
        }, timeout * 1000)
      : null;
  void served.pid.then((p) => {
    if (p === null || settled) return;
    pid = p;
    if (owed) running.kill(owed);
    // over its memory limit the group is killed at once, as the kernel's OOM killer would: a SIGTERM grace lets it grow on
    if (limits.mem) {
      stopWatch = watchMemory(p, limits.mem.bytes, () => {
        memExceeded = true;
        running.kill('SIGKILL');
      });
    }
  });
  void served.exit.then((e) => {
    if (e.error) return finish({ code: null, signal: null, timedOut: false, memExceeded: false, spawnError: e.error });
    // make sure nothing of the group outlives the task (a background child holding scratch files)
    if (!e.groupKilled) running.kill('SIGKILL');
    // a simulation whose spawn server died was killed with its group (./spawn-server.ts)
    finish({ code: e.code, signal: e.lost === null ? e.signal : 'SIGKILL', timedOut, memExceeded, spawnError: null, lost: e.lost });
  });
  return {
    exited,
    async stop() {
      if (settled) return;
      running.kill('SIGTERM');
      const kill = setTimeout(() => running.kill('SIGKILL'), KILL_GRACE_S * 1000);
      await exited;
      clearTimeout(kill);
    },
  };
}

export function exitReason(exit: Exit, argv0: string, limits: TaskLimits, state: WrapperState): string | null {
  if (exit.spawnError) {
    const code = exit.spawnError.code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : exit.spawnError.message;
    return `cannot start: command '${argv0}' ${why} (${code ?? 'error'})`;
  }
  if (exit.lost) return exit.lost;
  if (exit.memExceeded && limits.mem) return `out of memory: used more than ${limits.mem.text} (resources.mem)`;
  if (exit.timedOut) return `timeout: exceeded the task time limit of ${limits.time} s${limits.timeKey === 'timeout' ? '' : ` (${limits.timeKey})`}`;
  if (state.terminating && (exit.signal || exit.code !== 0)) return stopReason(state.terminating);
  // an array element's simulation killed by a SIGTERM the wrapper did not send: the scheduler signals every process of
  // the job at once (time limit, cancel, preemption), often before the wrapper's own handler has run; its record says which
  if (exit.signal === 'SIGTERM' && !state.interrupts) return 'terminated: the simulation received SIGTERM (scheduler time limit, cancel or preemption)';
  if (exit.signal) {
    const hint = exit.signal === 'SIGKILL' ? ' (possibly out of memory)' : '';
    return `killed by signal ${exit.signal}${hint}`;
  }
  if (exit.code !== 0) return `exit code ${exit.code}`;
  return null;
}

/** The reason of a task an array element's wrapper stopped on a signal (the scheduler's record refines it). */
export function stopReason(cause: StopCause): string {
  return `terminated: the task wrapper received ${cause} (scheduler time limit, cancel or preemption)`;
}

/** The reason of a local worker's task that an interrupt stopped. */
export function interruptReason(cause: StopCause): string {
  const why = cause === 'end of input' ? 'the controller stopped (Ctrl-C, a signal) or died' : `the task worker received ${cause}`;
  return `interrupted: ${why} while this task ran; \`arrayflow resume\` runs it again`;
}
