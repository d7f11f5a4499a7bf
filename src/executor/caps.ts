// The local executor's caps (executor.caps, as pypet's memory_cap and cpu_cap): a gate that holds back starting a task while the machine's memory in use or CPU busy share is above its cap; running tasks are never stopped by it.
import { cpus, freemem, totalmem } from 'node:os';
import type { Caps } from '../config/types.js';
import { sleep } from './sleep.js';

/** The machine's load as shares (0-1): memory in use now; CPU time busy since the previous reading (null: no interval yet). */
export interface Load {
  memory: number;
  cpu: number | null;
}

/** How often a held-back start looks at the load again. */
export const CAPS_POLL_MS = 500;

const percent = (share: number) => `${Math.round(share * 1000) / 10}%`;

/** The cap a reading is above, as a phrase (`memory in use 93% > caps.memory 90%`), or null when under every cap (pure). */
export function overCaps(load: Load, caps: Caps): string | null {
  if (caps.memory !== undefined && load.memory > caps.memory) return `memory in use ${percent(load.memory)} > caps.memory ${percent(caps.memory)}`;
  if (caps.cpu !== undefined && load.cpu !== null && load.cpu > caps.cpu) return `CPU busy ${percent(load.cpu)} > caps.cpu ${percent(caps.cpu)}`;
  return null;
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/**
 * A reader of this machine's load: memory from os.freemem / os.totalmem (libuv reads MemAvailable: the page cache
 * counts as free), CPU from the all-core time counters of os.cpus() between two readings.
 */
export function machineLoad(): () => Load {
  let prev = cpuTimes();
  return () => {
    const now = cpuTimes();
    const total = now.total - prev.total;
    const cpu = total > 0 ? (now.busy - prev.busy) / total : null;
    prev = now;
    return { memory: 1 - freemem() / totalmem(), cpu };
  };
}

export interface GateEvents {
  /** A start is held back, and why (once per wait). */
  onHold?: (why: string) => void;
  /** A held-back start goes ahead after `waitedMs`. */
  onRelease?: (waitedMs: number) => void;
}

/** Lets task starts through one at a time, each once the load is under every cap. */
export class CapsGate {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly caps: Caps,
    private readonly read: () => Load = machineLoad(),
    private readonly events: GateEvents = {},
    private readonly pollMs = CAPS_POLL_MS,
  ) {}

  /** Resolves true when a task may start (at once when under the caps), false when `signal` aborted the wait. */
  wait(signal?: AbortSignal): Promise<boolean> {
    const turn = this.tail.then(() => this.pass(signal));
    this.tail = turn;
    return turn;
  }

  private async pass(signal?: AbortSignal): Promise<boolean> {
    const since = Date.now();
    let held = false;
    for (;;) {
      if (signal?.aborted) return false;
      const why = overCaps(this.read(), this.caps);
      if (why === null) {
        if (held) this.events.onRelease?.(Date.now() - since);
        return true;
      }
      if (!held) this.events.onHold?.(why);
      held = true;
      await sleep(this.pollMs, signal);
    }
  }
}
