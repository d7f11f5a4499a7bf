// What the test Slurm says about its own load, for the benchmarks that run on it: slurmctld RPCs (sdiag), slurmdbd RPCs
// (`sacctmgr show stats`), other users' jobs in a window, and whether it is up.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Counts per RPC message type from a "Remote Procedure Call statistics by message type" section. */
function rpcSection(text: string): Map<string, number> {
  const byType = new Map<string, number>();
  const section = text.split('Remote Procedure Call statistics by message type')[1]?.split('Remote Procedure Call statistics by user')[0] ?? '';
  for (const line of section.split('\n')) {
    const m = /^\s*([A-Z_]+)\s+\(\s*\d+\)\s+count:(\d+)/.exec(line);
    if (m) byType.set(m[1], Number(m[2]));
  }
  return byType;
}

/** slurmctld's RPC counts per message type (`sdiag`). */
export async function sdiag(): Promise<{ byType: Map<string, number> }> {
  const { stdout } = await run('sdiag', [], { timeout: 10_000 });
  return { byType: rpcSection(stdout) };
}

/** slurmdbd's RPC counts per message type (`sacctmgr show stats`): sacct's queries and slurmctld's job accounting. */
export async function dbdStats(): Promise<Map<string, number>> {
  const { stdout } = await run('sacctmgr', ['show', 'stats'], { timeout: 10_000 });
  return rpcSection(stdout);
}

/** RPCs per message type between two readings, without the statistics requests themselves. */
export function rpcDelta(a: Map<string, number>, b: Map<string, number>, own: Map<string, number> = new Map([['REQUEST_STATS_INFO', Infinity]])): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of b) {
    const d = v - (a.get(k) ?? 0) - (own.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

/** Jobs (array elements count one each) submitted since `since` whose name does not start with `ownPrefix`. */
export async function othersJobs(since: Date, ownPrefix: string | string[]): Promise<number> {
  const own = Array.isArray(ownPrefix) ? ownPrefix : [ownPrefix];
  // sacct reads -S in the local time zone
  const local = new Date(since.getTime() - since.getTimezoneOffset() * 60_000);
  const start = local.toISOString().slice(0, 19);
  try {
    const { stdout } = await run('sacct', ['-a', '-X', '-n', '-P', '-S', start, '-E', 'now', '-o', 'JobID,JobName'], { timeout: 30_000 });
    return stdout.split('\n').filter((l) => l.includes('|') && !own.some((p) => l.split('|')[1].startsWith(p))).length;
  } catch {
    return NaN;
  }
}

export const sum = (m: Map<string, number>): number => [...m.values()].reduce((x, y) => x + y, 0);

/**
 * Whether the test Slurm answers `scontrol ping`; when it does not, says so and sets exit status 1. Jobs inherit the
 * submitter's environment, so it also drops NODE_OPTIONS: no loader hooks or inspector flags in every task's node.
 */
export async function slurmReady(): Promise<boolean> {
  try {
    const { stdout } = await run('scontrol', ['ping'], { timeout: 10_000 });
    if (!/\bUP\b/.test(stdout)) throw new Error(stdout.trim());
  } catch (e) {
    console.error(`Slurm is not running (${(e as Error).message.split('\n')[0]}): start it with \`sudo bash scripts/slurm-up.sh\` (docs/slurm-testing.md)`);
    process.exitCode = 1;
    return false;
  }
  delete process.env.NODE_OPTIONS;
  return true;
}
