// A local task's limits (resources.time and resources.mem, as a scheduler enforces them on an array element) and the memory watch: hand-written /proc polling (every 200 ms, the resident memory of the simulation's process tree; SIGKILL over the limit), because RLIMIT_AS (prlimit) caps reserved address space, which Python, the JVM and Go reserve far beyond their use, cgroup v2 is writable only where systemd delegates a subtree (rarely on login nodes, laptops' containers or CI), and pidusage (not a dependency) reads one pid, not a tree.
import { readdirSync, readFileSync } from 'node:fs';
import { type PlanFile, attemptTimeout } from '../plan/plan.js';
import { memMegabytes, parseSlurmTime, scaleResources } from '../scheduler/resources.js';

/** A memory limit: bytes, and as the config wrote it (quoted in the failure reason). */
export interface MemoryLimit {
  bytes: number;
  text: string;
}

/** What a simulation may use: wall-clock seconds (0 = none) and the key that set them, and memory (null = not watched). */
export interface TaskLimits {
  time: number;
  timeKey: 'timeout' | 'resources.time';
  mem: MemoryLimit | null;
}

/** How often a task's memory is read: a fast allocation overshoots by what it grows in this time. */
export const MEMORY_POLL_MS = 200;

/**
 * The limits of attempt `attempt` of a task (retry_scale grows them). On the local executor (`local`) the task is the
 * array element: resources.time kills it like timeout (the shorter one wins) and resources.mem is watched; on a
 * batch scheduler both are the scheduler's to enforce, per element.
 */
export function taskLimits(plan: Pick<PlanFile, 'runtime' | 'executor'>, attempt: number, local: boolean): TaskLimits {
  const timeout = attemptTimeout(plan, attempt);
  if (!local) return { time: timeout, timeKey: 'timeout', mem: null };
  const { time, mem } = scaleResources(plan.executor.resources, plan.executor.retry_scale, attempt);
  const wall = seconds(time);
  const byResources = wall > 0 && (timeout <= 0 || wall < timeout);
  const mb = mem === undefined ? null : memMegabytes(mem);
  return {
    time: byResources ? wall : timeout,
    timeKey: byResources ? 'resources.time' : 'timeout',
    mem: mem === undefined || mb === null ? null : { bytes: mb * 1024 * 1024, text: mem },
  };
}

/** A resources.time in seconds; 0 when not set. */
function seconds(time: string | undefined): number {
  return time === undefined ? 0 : parseSlurmTime(time);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // the process ended meanwhile
  }
}

/** Resident memory of one process in bytes (VmRSS of /proc/<pid>/status: kB whatever the page size). */
function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The children of a process: those of each of its threads (/proc/<pid>/task/<tid>/children, Linux 3.5+). */
function childrenOf(pid: number): number[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.flatMap((tid) => read(`/proc/${pid}/task/${tid}/children`).split(' ').filter((x) => x !== '').map(Number));
}

/**
 * Resident memory of `pid` and its descendants in bytes. Summed RSS, as Slurm's jobacct_gather/linux sums it: pages
 * shared between the processes count once per process. A descendant that left the tree (daemonized) is not counted.
 */
export function treeRss(pid: number): number {
  let total = 0;
  const todo = [pid];
  for (let p = todo.pop(); p !== undefined; p = todo.pop()) {
    total += rssOf(p);
    todo.push(...childrenOf(p));
  }
  return total;
}

/** Calls `onExceed` once when the tree of `pid` holds more than `bytes`; returns the function that stops watching. */
export function watchMemory(pid: number, bytes: number, onExceed: () => void): () => void {
  const timer = setInterval(() => {
    if (treeRss(pid) <= bytes) return;
    clearInterval(timer);
    onExceed();
  }, MEMORY_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
