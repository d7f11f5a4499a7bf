// `#PBS` directives of a plan's resources (PBS Pro select chunks, Torque nodes/ppn), with Slurm-style time and memory in PBS units.
import { SchedulerError } from '../../errors.js';
import type { PlanFile } from '../../plan/plan.js';
import type { Directive } from '../contract.js';
import type { PbsDialect } from './states.js';

function checkLine(what: string, value: string): string {
  if (/[\n\r\0]/.test(value)) throw new SchedulerError(`${what} ${JSON.stringify(value)} contains a line break or NUL: it would start a new, unchecked directive`);
  return value;
}

/** `#PBS` directives of the config's resources, as {flag, value} pairs (`-l walltime=01:00:00`). */
export function pbsDirectives(plan: PlanFile, dialect: PbsDialect): Directive[] {
  const r = plan.executor.resources;
  const d: Directive[] = [];
  const add = (flag: string, value: string) => d.push({ flag, value: checkLine(`directive ${flag}`, value) });
  if (r.qos !== undefined) {
    throw new SchedulerError(`executor.resources.qos "${r.qos}" has no PBS equivalent — remove it, or pass a PBS option through executor.resources.extra`);
  }
  let gpus: number | undefined;
  if (r.gpus !== undefined) {
    gpus = Number(r.gpus);
    if (!Number.isInteger(gpus) || gpus < 0) {
      throw new SchedulerError(`executor.resources.gpus "${r.gpus}" must be a number of GPUs for PBS (typed GPUs go in executor.resources.extra)`);
    }
  }
  const mem = r.mem === undefined ? undefined : pbsMem(r.mem);
  if (dialect === 'pro') {
    // one chunk per array element: PBS Pro places resources in chunks (pbs_resources(7B), "select")
    if (r.cpus !== undefined || mem !== undefined || gpus !== undefined) {
      let chunk = `1:ncpus=${r.cpus ?? 1}`;
      if (mem !== undefined) chunk += `:mem=${mem}`;
      if (gpus) chunk += `:ngpus=${gpus}`;
      add('-l', `select=${chunk}`);
    }
  } else {
    if (r.cpus !== undefined || gpus) add('-l', `nodes=1:ppn=${r.cpus ?? 1}${gpus ? `:gpus=${gpus}` : ''}`);
    if (mem !== undefined) add('-l', `mem=${mem}`);
  }
  if (r.time !== undefined) add('-l', `walltime=${pbsWalltime(r.time)}`);
  if (r.partition !== undefined) add('-q', r.partition);
  if (r.account !== undefined) add('-A', r.account);
  // extra: a key starting with "-" is a qsub option (`-W: group_list=x`), any other key a resource (`place: scatter` → -l place=scatter)
  for (const [k, v] of Object.entries(r.extra ?? {})) {
    checkLine('executor.resources.extra key', k);
    if (k.startsWith('-')) add(k, v);
    else add('-l', `${k}=${v}`);
  }
  return d;
}

/**
 * Slurm-style time (`10` minutes, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`; sbatch(1)
 * --time) as PBS walltime `HH:MM:SS` (hours may exceed 24).
 */
export function pbsWalltime(time: string): string {
  const t = time.trim();
  let d = 0;
  let h = 0;
  let m = 0;
  let s = 0;
  let match: RegExpExecArray | null;
  if ((match = /^([0-9]+)-([0-9]+)(?::([0-9]+)(?::([0-9]+))?)?$/.exec(t))) {
    d = Number(match[1]);
    h = Number(match[2]);
    m = Number(match[3] ?? 0);
    s = Number(match[4] ?? 0);
  } else if ((match = /^([0-9]+)(?::([0-9]+)(?::([0-9]+))?)?$/.exec(t))) {
    if (match[3] !== undefined) [h, m, s] = [Number(match[1]), Number(match[2]), Number(match[3])];
    else if (match[2] !== undefined) [m, s] = [Number(match[1]), Number(match[2])];
    else m = Number(match[1]);
  } else {
    throw new SchedulerError(
      `executor.resources.time "${time}" is not a time limit (use minutes, MM:SS, HH:MM:SS or D-HH:MM:SS)`,
    );
  }
  const total = ((d * 24 + h) * 60 + m) * 60 + s;
  if (total <= 0) throw new SchedulerError(`executor.resources.time "${time}" must be longer than zero`);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

const MEM_UNITS: Readonly<Record<string, number>> = { '': 1024, k: 1, m: 1024, g: 1024 ** 2, t: 1024 ** 3 };

/**
 * Slurm-style memory (`500` = MB, `500M`, `2G`, `1.5G`, `512K`, `1T`, also `2GB`/`2gb`) as a PBS
 * size: integer with kb/mb/gb/tb (pbs_resources(7B) "size"); fractions become the next smaller unit.
 */
export function pbsMem(mem: string): string {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtKMGT]?)[bB]?\s*$/.exec(mem);
  if (!m) throw new SchedulerError(`executor.resources.mem "${mem}" is not a memory size (use e.g. 500M, 2G)`);
  const unit = m[2].toLowerCase();
  const kb = Number(m[1]) * MEM_UNITS[unit];
  if (!(kb > 0)) throw new SchedulerError(`executor.resources.mem "${mem}" must be more than zero`);
  for (const [u, f] of [['tb', 1024 ** 3], ['gb', 1024 ** 2], ['mb', 1024]] as const) {
    if (kb % f === 0) return `${kb / f}${u}`;
  }
  return `${Math.ceil(kb)}kb`;
}
