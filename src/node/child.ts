// The simulation as a child process of the wrapper: spawned without a shell in its own process group, its exit,
// its time limit, and the wrapper-wide state that stops every running simulation on SIGTERM (or, in a local
// worker, when the controller ends its input: Ctrl-C, or the controller died).

import { spawn } from 'node:child_process';
import { type MemoryLimit, watchMemory } from './limits.js';

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
}

/** What a simulation may use: wall-clock seconds (0 = none) and the key that set them, and memory (null = not watched). */
export interface TaskLimits {
  time: number;
  timeKey: 'timeout' | 'resources.time';
  mem: MemoryLimit | null;
}

/** A started simulation: its exit, and a way to end it (process group: SIGTERM, then SIGKILL after a grace). */
export interface Started {
  exited: Promise<Exit>;
  stop(): Promise<void>;
}

export function startCommand(argv: string[], cwd: string, env: NodeJS.ProcessEnv, stdoutFd: number, stderrFd: number, limits: TaskLimits, state: WrapperState): Started {
  const timeout = limits.time;
  let timedOut = false;
  let memExceeded = false;
  let settled = false;
  let resolveExit: (e: Exit) => void = () => undefined;
  const exited = new Promise<Exit>((resolve) => (resolveExit = resolve));
  // detached: the simulation gets its own process group, so a timeout kills its children too
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', stdoutFd, stderrFd], detached: true });
  const running: Running = {
    kill(signal) {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    },
  };
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
  // over its memory limit the group is killed at once, as the kernel's OOM killer would: a SIGTERM grace lets it grow on
  const stopWatch =
    limits.mem && child.pid
      ? watchMemory(child.pid, limits.mem.bytes, () => {
          memExceeded = true;
          running.kill('SIGKILL');
        })
      : null;
  child.on('error', (err) => finish({ code: null, signal: null, timedOut: false, memExceeded: false, spawnError: err }));
  child.on('exit', (code, signal) => {
    // make sure nothing of the group outlives the task (a background child holding scratch files)
    running.kill('SIGKILL');
    finish({ code, signal, timedOut, memExceeded, spawnError: null });
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
