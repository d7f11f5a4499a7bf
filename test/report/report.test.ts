// `arrayflow report`: report.html of a small local ensemble with failures, its tables and charts, and the page as
// Debian's headless Chromium shows it (no console error, no request beyond the file, the charts' marks, a screenshot).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { UsageError, report, run } from '../../src/index.js';
import type { ReportStage } from '../../src/report/gather.js';
import { binCounts } from '../../src/report/derive.js';
import { reasonCategory, stagesTable, submissionsTable } from '../../src/report/tables.js';
import type { TaskRecord } from '../../src/records/record.js';
import { launchChromium, requireChromium } from '../helpers/chromium.js';
import { behaveConfig, runCli, writeConfig } from '../helpers/ensemble.js';

// 6 tasks: x = 1..3 done (y = 2x), the exit3 ones failed with a stderr tail
const dir = t.testdir();
const ran = await run(writeConfig(dir, behaveConfig({ modes: ['ok', 'exit3'], xs: [1, 2, 3] })), { workers: 2 });
const ens = ran.ensembleDir;
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

t.test('report writes one self-contained page: counts, charts as inline SVG, failures with reasons and stderr', async (t) => {
  t.same([ran.done, ran.failed], [3, 3]);
  const r = await report(ens);
  t.same(
    { path: r.path, x: r.x, y: r.y, warnings: r.warnings, counts: [r.total, r.done, r.failed, r.pending] },
    { path: join(ens, 'report.html'), x: ['x'], y: ['y'], warnings: [], counts: [6, 3, 3, 0] },
    'the first numeric parameter and result by default; no warning from the charting library',
  );
  const html = readFileSync(r.path, 'utf8');
  t.notMatch(html, /<script|<link|<img|<iframe|\ssrc=|\shref=|url\(/i, 'no script, no linked resource');
  t.equal(count(html, /<svg /g), 4, 'progress, status, durations, results');
  t.match(html, /<tr><td>exit code 3<\/td><td class="n">3<\/td><td>task 3<\/td><\/tr>/, 'failures by reason: 3, the first task 3');
  t.equal(count(html, /<td>exit code 3<\/td><td>3<\/td>/g), 3, 'one row per failed task, with its exit code');
  t.equal(count(html, /<pre>simulated failure: giving up<\/pre>/g), 3, 'with its stderr tail');
  t.equal(count(html, /&quot;exit3&quot;/g), 3, 'parameters, HTML-escaped');
  t.match(html, /local executor: no array jobs/);

  const more = await report(ens, { x: ['x', 'mode'], y: ['y', 'duration_s'] });
  t.equal(count(readFileSync(more.path, 'utf8'), /<figure id="results-\d"/g), 4, 'one results chart per x, y pair');
  await t.rejects(report(ens, { y: ['nope'] }), UsageError, 'an unknown column is a usage error');
  await t.rejects(report(ens, { y: ['nope'] }), { message: /--y nope: no such column; the parameters are mode, x, the results y, duration_s/ });
});

t.test('collect --report writes the report after the dataset (exit 3: the ensemble has failed tasks)', async (t) => {
  const r = await runCli(['collect', ens, '--report']);
  t.equal(r.exitCode, 3, r.stderr);
  t.match(r.stdout, `report: ${join(ens, 'report.html')} (6 tasks: 3 done, 3 failed, 0 pending; results: y against x)`);
});

t.test('an array job table counts the final records its elements wrote; reasons group by category', async (t) => {
  const rec = (task: number, status: 'done' | 'failed', job_id: string | null): TaskRecord => ({
    task, attempt: 1, status, reason: status === 'done' ? null : 'timeout: 60 s', exit_code: null, signal: null, host: 'n1', job_id,
    start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:00:02.000Z', duration_s: 2, result: null,
  });
  const stage: ReportStage = {
    name: null, ensembleDir: '/e', executor: 'slurm', bundle: 2, elements: 2, counts: { total: 4, done: 2, failed: 1, pending: 1 },
    paramNames: [], tasks: [], submissions: [{ label: '0000', jobId: '41', offset: 0, count: 2, attempt: 1 }, { label: 'r1', jobId: '42', offset: 0, count: 1, attempt: 2 }],
    finals: new Map([[0, rec(0, 'done', '41_0')], [1, rec(1, 'failed', '41_0')], [2, rec(2, 'done', '42_0')]]),
  };
  t.same(submissionsTable(stage)?.rows.map((r) => r.slice(0, 8)), [['0000', '41', '1', '2', '0', '2', '1', '1'], ['r1', '42', '2', '1', '0', '1', '1', '0']]);
  t.equal(submissionsTable({ ...stage, submissions: [] }), null, 'none on the local executor');
  const data = { name: 'e', ensembleDir: '/e', readAt: '', version: '', stages: [stage] };
  const probe = { ...stage, bundle: 1, elements: 100, submissions: [{ label: '0000', jobId: '41', offset: 0, count: 8, attempt: 1 }, { label: 'r1', jobId: '42', offset: 0, count: 8, attempt: 1, bundle: 5 }] };
  const cells = (d: typeof data) => stagesTable(d).rows[0].slice(6, 9);
  t.same(cells({ ...data, stages: [probe] }), ['1, 5', '16', '2'], 'the bundles that ran (the probe\'s, the learned one) and the elements submitted, not the plan\'s');
  t.same(cells({ ...data, stages: [{ ...stage, submissions: [] }] }), ['2', '2', '0'], 'the plan\'s before any submission');
  t.same(['timeout: after 60 s', 'exit code 3', null].map(reasonCategory), ['timeout', 'exit code 3', 'failed']);
});

t.test('binCounts: nice bins over the common extent, the maximum in the last bin, per key', async (t) => {
  const items = [0, 0.5, 1.2, 3.9, 4].map((v) => ({ key: 'a', v })).concat([{ key: 'b', v: 2 }]);
  t.same(binCounts(items, 4), [
    { key: 'a', b0: 0, b1: 1, n: 2 },
    { key: 'a', b0: 1, b1: 2, n: 1 },
    { key: 'a', b0: 3, b1: 4, n: 2 },
    { key: 'b', b0: 2, b1: 3, n: 1 },
  ]);
  t.same(binCounts([], 10), []);
});

t.test('headless Chromium opens the report from a file: no error, no request out, the charts drawn with their marks', async (t) => {
  if (!requireChromium(t)) return;
  const { path } = await report(ens);
  const browser = await launchChromium();
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => (m.type() === 'error' || m.type() === 'warning') && problems.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(path).href;
  const response = await page.goto(url, { waitUntil: 'load' });
  t.ok(response?.ok(), 'the page loads');
  t.same(problems, [], 'no console error');
  t.same(requests, [url], 'nothing fetched but the page itself');

  const marks = (figure: string, mark: string) => page.locator(`#${figure} svg g.mark-${mark}.role-mark path`).count();
  t.equal(await marks('results-0', 'symbol'), 3, 'the scatter has a point per done task');
  t.ok((await marks('durations', 'rect')) >= 2, 'the histogram has bars (done and failed)');
  t.equal(await marks('progress', 'line'), 3, 'progress: started, done and failed');
  t.equal(await marks('status', 'rect'), 3, 'status: done, failed and pending');
  for (const id of ['progress', 'status', 'durations', 'results-0']) {
    const box = await page.locator(`#${id} svg`).boundingBox();
    t.ok(box !== null && box.width > 300 && box.height > 50, `#${id} is drawn (${box?.width}x${box?.height})`);
  }
  const rows = await page.locator('#failures-list tbody tr').allInnerTexts();
  t.equal(rows.length, 3);
  t.match(rows[1], /^4\t1\texit code 3\t3\t.*\tmode="exit3" x=2\t\s*simulated failure: giving up$/, 'a failure as the page shows it');

  const shot = join(t.testdir(), 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  const png = readFileSync(shot);
  t.equal(png.subarray(1, 4).toString(), 'PNG');
  t.ok(statSync(shot).size > 50_000, `a screenshot of the whole page (${statSync(shot).size} bytes)`);
});
