// How many array elements a cluster runs at once: parsing `sinfo` (pure). Slurm's limits discovery
// (src/scheduler/slurm/limits.ts) asks it and fills ArrayLimits.cpus; the bundle choice reads the slots from there.

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

/**
 * The CPUs of the default partition from `sinfo -h -o '%P %C'` (`debug* 1/7/0/8`, the default marked `*`); when no
 * line is marked, the largest partition. Summing every partition would count a node once per partition it is in.
 */
export function parseSinfoPartitionCpus(text: string): ClusterCpus | null {
  const rows = text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length === 2)
    .map(([name, cpus]) => ({ name, cpus: parseSinfoCpus(cpus) }));
  if (rows.length === 0 || rows.some((r) => r.cpus === null)) return null;
  const marked = rows.find((r) => r.name.endsWith('*'));
  return (marked ?? rows.reduce((a, b) => ((b.cpus as ClusterCpus).total > (a.cpus as ClusterCpus).total ? b : a))).cpus;
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
