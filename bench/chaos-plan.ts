// The fault schedule of `npm run chaos` (pure): which faults, at which instants, with which seeded choices.
import { keyOf, unit } from '../src/sampling/hash.js';

/** The faults the chaos run injects (docs/reliability.md#chaos-on-the-test-slurm). */
export const FAULT_KINDS = ['kill', 'requeue-running', 'requeue-finished', 'scancel', 'slurmd', 'crash', 'torn'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each kind does, for the printed table and the docs. */
export const FAULT_LABELS: Record<FaultKind, string> = {
  kill: 'controller SIGKILLed, restarted with `resume` or `run`',
  'requeue-running': '`scontrol requeue` of a running element',
  'requeue-finished': '`scontrol requeue` of a finished element',
  scancel: '`scancel` of a pending or running element',
  slurmd: 'slurmd SIGKILLed, restarted as it was started',
  crash: 'running element SIGKILLed, its record file left with a torn line',
  torn: 'torn line appended to an ended element\'s record file',
};

/** One fault: when (seconds after the start of the disturbed run) and three seeded draws in [0, 1) for its choices. */
export interface Fault {
  at: number;
  kind: FaultKind;
  /** Which candidate (element, record file): floor(pick × candidates). */
  pick: number;
  /** A length: the controller's restart delay, slurmd's downtime, where a torn line is cut. */
  span: number;
  /** An either-or: `resume` or `run` for a restarted controller. */
  coin: number;
}

/**
 * The faults of one run: `counts[kind]` of each, at instants drawn uniformly in [from, to] seconds, sorted by time.
 * The same seed gives the same schedule.
 */
export function planFaults(seed: number, counts: Partial<Record<FaultKind, number>>, from: number, to: number): Fault[] {
  const key = keyOf(seed, 0xc4a05);
  let i = 0;
  const draw = () => unit(key, i++, 0);
  const faults: Fault[] = [];
  for (const kind of FAULT_KINDS) {
    for (let n = 0; n < (counts[kind] ?? 0); n++) {
      faults.push({ at: from + draw() * (to - from), kind, pick: draw(), span: draw(), coin: draw() });
    }
  }
  return faults.sort((a, b) => a.at - b.at);
}

/** The candidate a fault picks (null when there is none). */
export function pickOf<T>(fault: Pick<Fault, 'pick'>, candidates: readonly T[]): T | null {
  return candidates.length === 0 ? null : candidates[Math.min(candidates.length - 1, Math.floor(fault.pick * candidates.length))];
}
