// The report's data, flattened for charts and tables (pure): task outcomes, the columns results can be plotted against, the points of a chosen pair.
import * as vega from 'vega';
import { UsageError } from '../errors.js';
import type { TaskRecord } from '../records/record.js';
import type { ReportData, ReportStage } from './gather.js';

/** The metadata column a results chart may use besides the parameters and results. */
const DURATION = 'duration_s';

/** A stage's label in charts and tables: its name, or the ensemble's for a single-stage one. */
export function stageLabel(data: ReportData, s: ReportStage): string {
  return s.name ?? data.name;
}

/** One finished task (done or failed) of one stage. */
export interface Outcome {
  stage: string;
  status: 'done' | 'failed';
  /** Epoch milliseconds of the final attempt's start and end. */
  start: number;
  end: number;
  duration_s: number;
}

/** Every finished task of every stage. */
export function outcomes(data: ReportData): Outcome[] {
  const out: Outcome[] = [];
  for (const s of data.stages) {
    const stage = stageLabel(data, s);
    for (const r of s.finals.values()) {
      out.push({ stage, status: r.status as Outcome['status'], start: Date.parse(r.start), end: Date.parse(r.end), duration_s: r.duration_s });
    }
  }
  return out;
}

// vega-statistics' bin (Vega exports it; its typings do not list it): the nice bin steps of Vega-Lite's bin transform
const niceBins = (vega as unknown as { bin(o: { maxbins: number; extent: [number, number] }): { start: number; step: number } }).bin;

/** How many values of each key fall in each bin [b0, b1) (the last bin closed); empty bins are left out. */
export interface BinCount {
  key: string;
  b0: number;
  b1: number;
  n: number;
}

/**
 * Counts `v` per `key` in at most `maxbins` nice bins over the extent of all values (Vega's binning), in key then
 * bin order. Counting here, not in a Vega transform, keeps a million tasks to a few hundred tuples for Vega.
 */
export function binCounts(items: Array<{ key: string; v: number }>, maxbins: number): BinCount[] {
  if (items.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const { v } of items) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const { start, step } = niceBins({ maxbins, extent: [lo, hi] });
  const counts = new Map<string, Map<number, number>>();
  for (const { key, v } of items) {
    // the maximum belongs to the last bin, as in Vega-Lite
    const b = Math.min(Math.floor((v - start) / step), Math.max(0, Math.ceil((hi - start) / step) - 1));
    const of = counts.get(key) ?? counts.set(key, new Map()).get(key)!;
    of.set(b, (of.get(b) ?? 0) + 1);
  }
  return [...counts].flatMap(([key, of]) => [...of].sort((a, b) => a[0] - b[0]).map(([b, n]) => ({ key, b0: start + b * step, b1: start + (b + 1) * step, n })));
}

/** The columns of the results chart: parameters (of any stage), numeric results of the done tasks, and duration_s. */
export interface Columns {
  params: string[];
  results: string[];
}

export function plotColumns(data: ReportData): Columns {
  const params = new Set<string>();
  const results = new Set<string>();
  for (const s of data.stages) {
    for (const p of s.paramNames) params.add(p);
    for (const r of s.finals.values()) {
      for (const [k, v] of Object.entries(r.result ?? {})) if (typeof v === 'number' && !params.has(k)) results.add(k);
    }
  }
  return { params: [...params], results: [...results, DURATION] };
}

/** The columns to plot: as given (each must exist), else the first numeric parameter against the first numeric result. */
export function chooseAxes(data: ReportData, want: { x?: string[]; y?: string[] }): { x: string[]; y: string[] } {
  const cols = plotColumns(data);
  const all = [...cols.params, ...cols.results];
  const check = (flag: string, names: string[]) => {
    for (const n of names) {
      if (!all.includes(n)) {
        throw new UsageError(`${flag} ${n}: no such column; the parameters are ${cols.params.join(', ') || '(none)'}, the results ${cols.results.join(', ')}`);
      }
    }
    return names;
  };
  if (want.x?.length) check('--x', want.x);
  if (want.y?.length) check('--y', want.y);
  const numericParam = cols.params.find((p) => data.stages.some((s) => s.tasks.some((t) => typeof t.params[p] === 'number')));
  const firstX = numericParam ?? cols.params[0];
  return {
    x: want.x?.length ? want.x : firstX === undefined ? [] : [firstX],
    y: want.y?.length ? want.y : [cols.results[0]],
  };
}

/** A column's value in a task: its parameter, else its result, else its duration. */
function valueOf(params: Record<string, unknown>, r: TaskRecord, column: string): unknown {
  if (column in params) return params[column];
  if (r.result && column in r.result) return r.result[column];
  return column === DURATION ? r.duration_s : undefined;
}

export interface Point {
  stage: string;
  task: number;
  x: number | string;
  y: number;
}

/** The done tasks with a value of `x` (number or text) and a numeric `y`, every stage, in task order. */
export function points(data: ReportData, x: string, y: string): Point[] {
  const out: Point[] = [];
  for (const s of data.stages) {
    const stage = stageLabel(data, s);
    for (const t of s.tasks) {
      const r = s.finals.get(t.id);
      if (r?.status !== 'done') continue;
      const vx = valueOf(t.params, r, x);
      const vy = valueOf(t.params, r, y);
      if ((typeof vx === 'number' || typeof vx === 'string') && typeof vy === 'number' && Number.isFinite(vy)) out.push({ stage, task: t.id, x: vx, y: vy });
    }
  }
  return out;
}
