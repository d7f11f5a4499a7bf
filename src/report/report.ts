// `arrayflow report`: reads an ensemble, charts and tabulates it, and writes <ensemble>/report.html (docs/report.md).
import { EnsembleLayout } from '../layout/layout.js';
import type { Counts } from '../run/types.js';
import { writeFileAtomic } from '../util/fs.js';
import { planCharts, renderSvg } from './charts.js';
import { chooseAxes } from './derive.js';
import { readReportData } from './gather.js';
import { type RenderedChart, renderPage } from './page.js';

export interface ReportOptions {
  /** Columns on the x axis of the results charts (parameters, results or duration_s); default: the first numeric parameter. */
  x?: string[];
  /** Columns on the y axis; default: the first numeric result. One chart per x × y pair. */
  y?: string[];
}

export interface ReportResult extends Counts {
  /** The report written: `<ensemble>/report.html`. */
  path: string;
  /** The x and y columns of the results charts. */
  x: string[];
  y: string[];
  /** What the charting library warned of, per chart (`durations: WARN ...`); none normally. */
  warnings: string[];
}

/** Writes `<ensemble>/report.html` (temp file + rename) from the ensemble's records, task table and journal. */
export async function writeReport(ensembleDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const data = await readReportData(ensembleDir);
  const axes = chooseAxes(data, opts);
  const charts: RenderedChart[] = [];
  const warnings: string[] = [];
  for (const c of planCharts(data, axes)) {
    const drawn = c.spec ? await renderSvg(c.spec) : null;
    warnings.push(...(drawn?.warnings ?? []).map((w) => `${c.id}: ${w}`));
    charts.push({ id: c.id, title: c.title, caption: c.caption, svg: drawn?.svg ?? null });
  }
  const path = new EnsembleLayout(ensembleDir).report;
  await writeFileAtomic(path, renderPage(data, charts));
  const sum = (k: keyof Counts) => data.stages.reduce((n, s) => n + s.counts[k], 0);
  return { path, x: axes.x, y: axes.y, warnings, total: sum('total'), done: sum('done'), failed: sum('failed'), pending: sum('pending') };
}
