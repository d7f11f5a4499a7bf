// How many array elements a cluster runs at once: parsing `sinfo -h -o %C` (pure). Limits discovery in
// src/scheduler/slurm/ may ask it and fill ArrayLimits.cpus; the bundle choice reads the slots from there.

/** CPU counts of `sinfo -h -o %C`: allocated/idle/other/total, summed over the lines printed. */
export interface ClusterCpus {
  allocated: number;
  idle: number;
  /** Down, drained or otherwise unavailable. */
  other: number;
  total: number;
}

/** Parses `sinfo -h -o %C` output (`1234/5678/12/6924`, one line per partition asked for); null when it is not that. */
export function parseSinfoCpus(text: string): ClusterCpus | null {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (lines.length === 0) return null;
  const sum: ClusterCpus = { allocated: 0, idle: 0, other: 0, total: 0 };
  for (const line of lines) {
    const m = /^(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec(line);
    if (!m) return null;
    sum.allocated += Number(m[1]);
    sum.idle += Number(m[2]);
    sum.other += Number(m[3]);
    sum.total += Number(m[4]);
  }
  return sum;
}

/** The CPUs that can run work: allocated + idle (down and drained CPUs run nothing). */
export function usableCpus(c: ClusterCpus): number {
  return c.allocated + c.idle;
}

/**
 * Elements that can run at once: usable CPUs over CPUs per element (resources.cpus, default 1); null when the
 * cluster's CPUs are unknown (the bundle choice then assumes DEFAULT_SLOTS).
 */
export function slotsFor(cpus: number | undefined, cpusPerElement: number | undefined): number | null {
  if (cpus === undefined || !(cpus > 0)) return null;
  return Math.max(1, Math.floor(cpus / Math.max(1, cpusPerElement ?? 1)));
}
