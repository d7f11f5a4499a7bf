// Slurm's over-memory kill, seen in an element's stderr (the state alone cannot tell it from another SIGKILL).
import type { ElementStatus } from '../types.js';

// and the cgroup OOM killer ("Detected 1 oom-kill event(s) in StepId=..."). Only slurmstepd
// lines count, so a simulation that prints these words does not trigger it.
const MEMORY_KILL_RE =
  /^slurmstepd[^:\n]*: error: .*(?:exceeded memory limit|Exceeded (?:job|step) memory limit|oom-kill event)/im;

/**
 * True when a job's stderr shows that Slurm killed it for using more memory than requested.
 * Without cgroups such a job ends FAILED with ExitCode 0:9 — the state alone cannot tell it
 * from any other SIGKILL, so combine it with this (see applyMemoryKill).
 */
export function detectMemoryKill(stderrText: string): boolean {
  return MEMORY_KILL_RE.test(stderrText);
}

/** The status with state `out_of_memory` when it failed or was cancelled and its stderr shows a memory kill. */
export function applyMemoryKill(status: ElementStatus, stderrText: string): ElementStatus {
  if ((status.state === 'failed' || status.state === 'cancelled') && detectMemoryKill(stderrText)) {
    return { ...status, state: 'out_of_memory' };
  }
  return status;
}
