// The report's charts: Vega-Lite specs of the derived data (pure), rendered to SVG strings by Vega's headless View (no browser, no DOM).
import * as vega from 'vega';
import { type TopLevelSpec, compile } from 'vega-lite';
import type { ReportData } from './gather.js';
import { type Outcome, binCounts, outcomes, points, stageLabel } from './derive.js';

/** One chart of the report: where it goes, what it shows, and its spec. */
export interface ChartSpec {
  /** The id of its <figure> in the page (`progress`, `status`, `durations`, `results-0`, ...). */
  id: string;
  title: string;
  /** A line under it: what is plotted, or why nothing is. */
  caption: string;
  /** null when there is nothing to plot (no finished task yet). */
  spec: TopLevelSpec | null;
}

const WIDTH = 640;
const HEIGHT = 220;
// The same colour for a status in every chart (Vega's tableau10 blue, green, red, grey).
const COLOURS = { started: '#4c78a8', done: '#54a24b', failed: '#e45756', pending: '#bab0ac' };
const statusScale = (keys: Array<keyof typeof COLOURS>) => ({ domain: keys, range: keys.map((k) => COLOURS[k]) });
// Durations and progress bin into at most this many steps (counted in derive.ts, so Vega draws a few hundred tuples).
const MAX_BINS = { durations: 40, progress: 120 };
// A scatter of more done tasks than this shows an even sample of them (the caption says so).
const MAX_POINTS = 10000;

const base = { width: WIDTH, config: { font: 'sans-serif', view: { stroke: null } } } as const;

function progress(events: Outcome[]): ChartSpec {
  const id = 'progress';
  const title = 'Progress over time';
  if (events.length === 0) return { id, title, caption: 'no finished task yet', spec: null };
  // a loop, not Math.min(...): a million arguments overflow the stack
  let t0 = Infinity;
  let last = -Infinity;
  for (const o of events) {
    t0 = Math.min(t0, o.start);
    last = Math.max(last, o.end);
  }
  const span = (last - t0) / 1000;
  // the unit that keeps the axis' numbers short
  const [unit, per] = span < 300 ? ['s', 1] : span < 5 * 3600 ? ['min', 60] : ['h', 3600];
  const at = (ms: number) => (ms - t0) / 1000 / per;
  const bins = binCounts(events.flatMap((o) => [{ key: 'started', v: at(o.start) }, { key: o.status, v: at(o.end) }]), MAX_BINS.progress);
  // tasks so far at the end of each bin, per series (bins come in series, then time order)
  const values: Array<{ series: string; t: number; tasks: number }> = [];
  for (const b of bins) {
    const before = values.at(-1)?.series === b.key ? values[values.length - 1].tasks : 0;
    values.push({ series: b.key, t: b.b1, tasks: before + b.n });
  }
  return {
    id,
    title,
    caption: `tasks started, done and failed so far, from the start and end times of their final attempts; time from the first start, ${new Date(t0).toISOString()}`,
    spec: {
      ...base,
      height: HEIGHT,
      data: { values },
      mark: { type: 'line', interpolate: 'step-after', point: true },
      encoding: {
        x: { field: 't', type: 'quantitative', title: `time (${unit})` },
        y: { field: 'tasks', type: 'quantitative', title: 'tasks' },
        color: { field: 'series', type: 'nominal', scale: statusScale(['started', 'done', 'failed']), title: null },
      },
    },
  };
}

function status(data: ReportData): ChartSpec {
  const values = data.stages.flatMap((s) =>
    (['done', 'failed', 'pending'] as const).map((k) => ({ stage: stageLabel(data, s), status: k, tasks: s.counts[k] })),
  );
  return {
    id: 'status',
    title: 'Status',
    caption: data.stages.length > 1 ? 'tasks of each stage by status' : 'tasks by status',
    spec: {
      ...base,
      data: { values },
      mark: 'bar',
      encoding: {
        y: { field: 'stage', type: 'nominal', title: null, sort: null },
        x: { field: 'tasks', type: 'quantitative', title: 'tasks', stack: 'zero' },
        color: { field: 'status', type: 'nominal', scale: statusScale(['done', 'failed', 'pending']), title: null },
        order: { field: 'status', sort: 'ascending' },
      },
    },
  };
}

function durations(events: Outcome[], staged: boolean): ChartSpec {
  const id = 'durations';
  const title = 'Task durations';
  if (events.length === 0) return { id, title, caption: 'no finished task yet', spec: null };
  // one key per stage and status, split again after counting
  const values = binCounts(events.map((o) => ({ key: JSON.stringify([o.stage, o.status]), v: o.duration_s })), MAX_BINS.durations).map((b) => {
    const [stage, status] = JSON.parse(b.key) as [string, string];
    return { stage, status, b0: b.b0, b1: b.b1, tasks: b.n };
  });
  return {
    id,
    title,
    caption: `how long the final attempt of each finished task took${staged ? ', per stage' : ''}`,
    spec: {
      ...base,
      height: staged ? HEIGHT / 2 : HEIGHT,
      data: { values },
      mark: 'bar',
      encoding: {
        x: { field: 'b0', type: 'quantitative', bin: 'binned', title: 'duration (s)' },
        x2: { field: 'b1' },
        y: { field: 'tasks', type: 'quantitative', title: 'tasks', stack: 'zero' },
        color: { field: 'status', type: 'nominal', scale: statusScale(['done', 'failed']), title: null },
        ...(staged ? { row: { field: 'stage', type: 'nominal', title: null, sort: null } } : {}),
      },
    },
  };
}

/** Every `step`-th point, so at most MAX_POINTS: an even sample over the task order. */
function sample<T>(all: T[]): T[] {
  if (all.length <= MAX_POINTS) return all;
  const step = all.length / MAX_POINTS;
  return Array.from({ length: MAX_POINTS }, (_, i) => all[Math.floor(i * step)]);
}

function results(data: ReportData, x: string, y: string, index: number): ChartSpec {
  const id = `results-${index}`;
  const title = `${y} against ${x}`;
  const all = points(data, x, y);
  if (all.length === 0) return { id, title, caption: `no done task with both ${x} and ${y} yet`, spec: null };
  const shown = sample(all);
  const staged = data.stages.length > 1;
  const numeric = shown.every((p) => typeof p.x === 'number');
  return {
    id,
    title,
    caption: `${shown.length === all.length ? `${all.length} done tasks` : `an even sample of ${shown.length} of the ${all.length} done tasks`}${staged ? ', coloured by stage' : ''}`,
    spec: {
      ...base,
      height: HEIGHT,
      data: { values: shown },
      mark: { type: 'point', filled: true, opacity: 0.7 },
      encoding: {
        x: { field: 'x', type: numeric ? 'quantitative' : 'nominal', title: x, ...(numeric ? { scale: { zero: false } } : {}) },
        y: { field: 'y', type: 'quantitative', title: y, scale: { zero: false } },
        ...(staged ? { color: { field: 'stage', type: 'nominal', title: null } } : {}),
      },
    },
  };
}

/** The report's charts: progress, status, durations, then one results chart per `x` × `y` pair (pure). */
export function planCharts(data: ReportData, axes: { x: string[]; y: string[] }): ChartSpec[] {
  const events = outcomes(data);
  const charts = [progress(events), status(data), durations(events, data.stages.length > 1)];
  for (const y of axes.y) for (const x of axes.x) charts.push(results(data, x, y, charts.length - 3));
  return charts;
}

/**
 * Renders a Vega-Lite spec to an SVG document (text) with Vega's headless View: no browser, no DOM, no network.
 * The warnings of Vega-Lite and Vega come back with it instead of going to the console (the library never prints).
 */
export async function renderSvg(spec: TopLevelSpec): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  const logger = vega.logger(vega.Warn, 'warn', (_method, level, args) => warnings.push(`${level} ${args.map(String).join(' ')}`));
  const view = new vega.View(vega.parse(compile(spec, { logger }).spec), { renderer: 'none', logger });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
