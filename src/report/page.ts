// The report page (pure): one self-contained HTML document, its charts inline SVG and its style inline, no script and no link out.
import Mustache from 'mustache';
import type { ReportData } from './gather.js';
import { stageLabel } from './derive.js';
import { type FailureRow, MAX_FAILURES, type Table, failures, reasonsTable, stagesTable, submissionsTable } from './tables.js';

/** A chart as the page shows it: its figure id, title, caption, and its SVG (null when there was nothing to plot). */
export interface RenderedChart {
  id: string;
  title: string;
  caption: string;
  svg: string | null;
}

// The one escaping layer for text in the page (Mustache's HTML escape); SVG comes from Vega, which escapes its own text.
const esc = (s: string | number): string => Mustache.escape(String(s));

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.meta { color: #555; } .meta code { background: #f4f4f4; padding: 0 0.2em; }
.counts span { display: inline-block; margin-right: 1.2em; font-size: 1.1em; }
.done { color: #2e7d32; } .failed { color: #c62828; } .pending { color: #666; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; } figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
pre { margin: 0; max-width: 48em; max-height: 12em; overflow: auto; white-space: pre-wrap; font-size: 0.85em; background: #fafafa; }
.empty { color: #777; font-style: italic; }
`;

function table(t: Table, id: string): string {
  const head = t.head.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => (t.numeric[i] ? `<td class="n">${esc(c)}</td>` : `<td>${esc(c)}</td>`)).join('')}</tr>`);
  return `<table id="${esc(id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function figure(c: RenderedChart): string {
  const body = c.svg === null ? `<p class="empty">${esc(c.caption)}</p>` : `${c.svg}<figcaption>${esc(c.caption)}</figcaption>`;
  return `<figure id="${esc(c.id)}" class="chart"><h3>${esc(c.title)}</h3>${body}</figure>`;
}

function failureRows(rows: FailureRow[], staged: boolean): string {
  const head = [...(staged ? ['stage'] : []), 'task', 'attempt', 'reason', 'exit', 'host', 'duration', 'parameters', 'stderr (last lines)'];
  const body = rows.slice(0, MAX_FAILURES).map((f) => {
    const r = f.record;
    const exit = r.signal ?? (r.exit_code === null ? '-' : String(r.exit_code));
    const cells = [...(staged ? [f.stage] : []), String(f.task), String(r.attempt), r.reason ?? 'failed', exit, r.host, `${r.duration_s.toFixed(1)} s`, f.params];
    const tail = r.stderr_tail ? `<pre>${esc(r.stderr_tail.trimEnd())}</pre>` : '<span class="empty">none</span>';
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}<td>${tail}</td></tr>`;
  });
  return `<table id="failures-list"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table>`;
}

function failuresSection(data: ReportData): string {
  const rows = failures(data);
  if (rows.length === 0) return `<h2 id="failures">Failures</h2><p class="empty">no failed task</p>`;
  const staged = data.stages.length > 1;
  const more =
    rows.length > MAX_FAILURES
      ? `<p>The first ${MAX_FAILURES} of ${rows.length} failed tasks; <code>arrayflow status ${esc(data.ensembleDir)} --failed</code> lists them all.</p>`
      : '';
  return `<h2 id="failures">Failures</h2>${table(reasonsTable(rows, staged), 'failure-reasons')}${more}${failureRows(rows, staged)}`;
}

function submissionsSection(data: ReportData): string {
  const parts = data.stages.map((s) => {
    const t = submissionsTable(s);
    const heading = data.stages.length > 1 ? `<h3>${esc(stageLabel(data, s))}</h3>` : '';
    const body = t ? table(t, `jobs-${stageLabel(data, s)}`) : `<p class="empty">${esc(`${s.executor} executor: no array jobs`)}</p>`;
    return heading + body;
  });
  return `<h2 id="jobs">Array jobs</h2><p>One row per submission (a chunk of array elements, or a resubmission of listed tasks), with the final outcomes its elements recorded.</p>${parts.join('\n')}`;
}

/** The whole page: header and counts, then status, stages, progress, durations, results, failures and array jobs. */
export function renderPage(data: ReportData, charts: RenderedChart[]): string {
  const sum = (k: 'total' | 'done' | 'failed' | 'pending') => data.stages.reduce((n, s) => n + s.counts[k], 0);
  const chart = (id: string) => charts.filter((c) => c.id === id || c.id.startsWith(`${id}-`)).map(figure).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.name)}: arrayflow report</title><style>${STYLE}</style></head>
<body>
<h1>${esc(data.name)}</h1>
<p class="meta"><code>${esc(data.ensembleDir)}</code> · read ${esc(data.readAt)} · arrayflow ${esc(data.version)}</p>
<p class="counts"><span>${sum('total')} tasks</span><span class="done">${sum('done')} done</span><span class="failed">${sum('failed')} failed</span><span class="pending">${sum('pending')} pending</span></p>
<h2 id="overview">Overview</h2>
${chart('status')}
${table(stagesTable(data), 'stages')}
<h2 id="timeline">Progress and durations</h2>
${chart('progress')}
${chart('durations')}
<h2 id="results">Results against parameters</h2>
${chart('results') || '<p class="empty">no parameter to plot against</p>'}
${failuresSection(data)}
${submissionsSection(data)}
</body></html>
`;
}
