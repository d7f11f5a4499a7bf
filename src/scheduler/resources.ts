// Resources of a retry under retry_scale: Slurm-syntax times and memory sizes, scaled per attempt.
import type { ResourceSpec } from '../config/types.js';

/** Slurm-syntax time (MM, MM:SS, HH:MM:SS, D-HH[:MM[:SS]]) in seconds. */
export function parseSlurmTime(time: string): number {
  const [days, rest] = time.includes('-') ? time.split('-') : ['0', time];
  const parts = rest.split(':').map(Number);
  const d = Number(days);
  if (time.includes('-')) {
    const [h = 0, m = 0, s = 0] = parts;
    return ((d * 24 + h) * 60 + m) * 60 + s;
  }
  if (parts.length === 1) return parts[0] * 60;
  if (parts.length === 2) return parts[0] * 60 + parts[1];
  return (parts[0] * 60 + parts[1]) * 60 + parts[2];
}

function formatSlurmTime(seconds: number): string {
  const s = Math.ceil(seconds);
  const d = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return d > 0 ? `${d}-${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}`;
}

/** Resources of attempt `attempt` under retry_scale (time and memory grow by factor^(attempt-1)). */
export function scaleResources(resources: ResourceSpec, scale: { time?: number; mem?: number } | undefined, attempt: number): ResourceSpec {
  if (!scale || attempt <= 1) return resources;
  const out = { ...resources };
  if (scale.time && resources.time) out.time = formatSlurmTime(parseSlurmTime(resources.time) * scale.time ** (attempt - 1));
  const mb = resources.mem === undefined ? null : memMegabytes(resources.mem);
  if (scale.mem && mb !== null) out.mem = `${Math.ceil(mb * scale.mem ** (attempt - 1))}M`;
  return out;
}

/** A Slurm-syntax memory size (`2G`, `500M`, `4096`: megabytes without a unit) in megabytes (MiB); null when not one. */
export function memMegabytes(mem: string): number | null {
  const m = /^(\d+)([KMGT]?)B?$/i.exec(mem);
  if (!m) return null;
  const units = ['K', 'M', 'G', 'T'];
  return Number(m[1]) * 1024 ** (units.indexOf((m[2] || 'M').toUpperCase()) - 1);
}

/** Seconds an array element of attempt `attempt` may run (resources.time, grown by retry_scale); 0 when unlimited. */
export function elementTimeLimit(executor: { resources: ResourceSpec; retry_scale?: { time?: number; mem?: number } }, attempt: number): number {
  const { time } = scaleResources(executor.resources, executor.retry_scale, attempt);
  return time === undefined ? 0 : parseSlurmTime(time);
}
