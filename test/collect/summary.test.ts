import t, { type Test } from 'tap';
import { appendFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Float64, Int32, Int64, Table, Utf8, vectorFromArray } from '../../src/collect/arrow.js';
import { collect } from '../../src/collect/collect.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { readEnsembleSummary, renderSummaryJson, renderSummaryTable, summarize, type SummaryGroup } from '../../src/collect/summary.js';
import { readDatasetParquet } from '../../src/collect/parquet.js';
import type { TaskRecord } from '../../src/records/record.js';
import { behaveConfig, dropTapHooks, runCli, writeConfig } from '../helpers/ensemble.js';
import { doneRecord, failedRecord, taskRows, writeEnsemble } from './fixtures/ensemble.js';

// CLI runs spawn a node per task: without tap's loaders in NODE_OPTIONS each starts several times faster.
dropTapHooks();

const PARAMS = ['alpha', 'beta', 'mode'];
const RESULTS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS();
    return rows.map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** A partial ensemble: done, failed, retried-to-done, pending (no record), and done rows lacking some results. */
function partialRecords(n: number): TaskRecord[] {
  const out: TaskRecord[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 10 === 9 || i % 13 === 0) continue; // pending
    if (i % 10 === 3) out.push(failedRecord(i, 'exit code 3'));
    else if (i % 10 === 4) out.push(failedRecord(i, 'exit code 1'), doneRecord(i, 2));
    else {
      const r = doneRecord(i);
      if (i % 7 === 0) delete r.result!.r3; // a null in r3
      if (i % 11 === 0) r.result!.r5 = null;
      out.push(r);
    }
  }
  return out;
}

function writePlanFile(dir: string, tasks: number): void {
  writeFileSync(join(dir, 'plan', 'plan.json'), JSON.stringify({ format: 1, name: 'partial', tasks, param_names: PARAMS, design: { sampling: { replicates: 1 } } }));
}

/** null for a match (equal within 1e-9 relative, or both null), else what differs. */
function mismatch(got: number | null, want: unknown, what: string): string | null {
  if (want === null || want === undefined) return got === null ? null : `${what}: ${got}, DuckDB null`;
  const w = Number(want);
  if (got !== null && Math.abs(got - w) <= 1e-9 * Math.max(Math.abs(got), Math.abs(w))) return null;
  return `${what}: ${got}, DuckDB ${w}`;
}

/** Compares summarize's groups with DuckDB's count/avg/stddev_samp/(its sem)/min/max over the done rows of the same Parquet file. */
async function compareWithDuckDb(t: Test, parquet: string, by: string[], groups: SummaryGroup[]): Promise<void> {
  const aggs = RESULTS.map(
    (c) => `count(${c}) as ${c}_n, avg(${c}) as ${c}_mean, stddev_samp(${c}) as ${c}_std, stddev_samp(${c}) / sqrt(count(${c})) as ${c}_sem, min(${c}) as ${c}_min, max(${c}) as ${c}_max`,
  );
  const keys = by.join(', ');
  const sql =
    `select ${by.length ? keys + ', ' : ''}${aggs.join(', ')} from read_parquet('${parquet}') where status = 'done'` +
    (by.length ? ` group by ${keys} order by ${by.map((b) => `${b} nulls last`).join(', ')}` : '');
  const want = await query(sql);
  const withDone = groups.filter((g) => g.done > 0);
  t.equal(withDone.length, want.length, `${want.length} groups with done rows`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = withDone[i];
    const key = JSON.stringify(g.key);
    if (key !== JSON.stringify(Object.fromEntries(by.map((b) => [b, w[b]])))) {
      t.fail(`group ${i}: key ${key}, DuckDB ${JSON.stringify(w)}`);
      continue;
    }
    const bad: string[] = [];
    for (const c of RESULTS) {
      const s = g.stats[c];
      if (s.count !== w[`${c}_n`]) bad.push(`${c} count: ${s.count}, DuckDB ${w[`${c}_n`]}`);
      for (const stat of ['mean', 'std', 'sem', 'min', 'max'] as const) {
        const m = mismatch(s[stat], w[`${c}_${stat}`], `${c} ${stat}`);
        if (m !== null) bad.push(m);
      }
    }
    t.same(bad, [], `group ${key}: ${RESULTS.length} columns × count, mean, std, sem, min, max agree`);
  }
}

t.test('summarize on a partial dataset equals DuckDB count/avg/stddev_samp/min/max of the done rows', async (t) => {
  const dir = t.testdir({});
  writeEnsemble(dir, taskRows(400), partialRecords(400), 5);
  const c = await collect(new EnsembleLayout(dir), PARAMS, { includePending: true });
  const table = await readDatasetParquet(c.files.parquet);
  t.ok(table.numRows === 400, 'the table holds done, failed and pending rows');
  for (const by of [[], ['mode'], ['mode', 'beta'], ['alpha'], ['beta', 'alpha', 'mode']]) {
    await t.test(`by [${by.join(', ')}]`, async (t) => {
      const groups = summarize(table, by, RESULTS);
      await compareWithDuckDb(t, c.files.parquet, by, groups);
    });
  }
  // Default columns: every numeric one except ids, metadata and the grouping (parameters are numeric columns too).
  t.same(Object.keys(summarize(table, ['mode', 'beta'])[0].stats), ['alpha', ...RESULTS]);
  // Failed rows are counted per group; a group can have failed rows only.
  const byMode = summarize(table, ['mode']);
  const failed = await query(`select mode, count(*) as n from read_parquet('${c.files.parquet}') where status = 'failed' group by mode order by mode`);
  t.same(byMode.filter((g) => g.failed > 0).map((g) => ({ mode: g.key.mode, n: g.failed })), failed);
  t.same(byMode.map((g) => g.done + g.failed), [200, 200].map((_, i) => table.toArray().filter((r) => r.mode === ['fast', 'slow'][i] && r.status !== 'pending').length));
  const singles = summarize(table, ['alpha', 'beta']).filter((g) => g.done === 1);
  t.ok(singles.length > 0, 'some groups have a single done row');
  for (const g of singles) t.same([g.stats.r0.std, g.stats.r0.sem], [null, null], 'std and sem of one value are null');
});

t.test('summarize: a listed order for a group-by column (stages as declared), other values after it, ascending', async (t) => {
  const stage = ['sim', 'post', 'sim', 'extra', 'post', 'aux'];
  const table = new Table({ stage: vectorFromArray(stage, new Utf8()), y: vectorFromArray([1, 2, 3, 4, 5, 6], new Float64()) });
  t.same(summarize(table, ['stage']).map((g) => g.key.stage), ['aux', 'extra', 'post', 'sim'], 'ascending without an order');
  const ordered = summarize(table, ['stage'], undefined, { stage: ['sim', 'post'] });
  t.same(ordered.map((g) => [g.key.stage, g.stats.y.count]), [['sim', 2], ['post', 2], ['aux', 1], ['extra', 1]]);
  const ints = new Table({ k: vectorFromArray([1n, 2n, 3n], new Int64()), y: vectorFromArray([1, 2, 3], new Float64()) });
  t.same(summarize(ints, ['k'], undefined, { k: [3, 1] }).map((g) => g.key.k), [3, 1, 2], 'an int64 column by the numbers listed');
});

t.test('summarize: numerics, key types and order, columns, errors', async (t) => {
  // Welford keeps the variance of values sharing a large offset; the naive sum of squares loses it all.
  const x = [4, 7, 13, 16].map((v) => 1e9 + v);
  const big = new Table({ x: vectorFromArray(x, new Float64()) });
  const [g] = summarize(big, []);
  t.equal(g.stats.x.count, 4);
  t.equal(g.stats.x.mean, 1e9 + 10);
  t.ok(Math.abs(g.stats.x.std! - Math.sqrt(30)) < 1e-12 * Math.sqrt(30), `std ${g.stats.x.std} = sqrt(30)`);

  const table = new Table({
    k: vectorFromArray([3n, null, 1n, 3n, 2n ** 60n, 1n], new Int64()),
    s: vectorFromArray(['b', 'a', null, 'b', 'a', 'a'], new Utf8()),
    i: vectorFromArray([1, 2, 3, 4, 5, 6], new Int32()),
    v: vectorFromArray([1.5, null, 2.5, 3.5, 0, null], new Float64()),
  });
  const groups = summarize(table, ['k']);
  t.same(
    groups.map((x) => [x.key.k, x.done, x.stats.v.count]),
    [
      [1, 2, 1],
      [3, 2, 2],
      [String(2n ** 60n), 1, 1],
      [null, 1, 0],
    ],
    'int64 keys as numbers (text beyond 2^53), ascending, nulls last',
  );
  t.same(Object.keys(groups[0].stats), ['i', 'v'], 'int columns are numeric too; the by column is not summarized');
  t.same(groups[1].stats.v, { count: 2, mean: 2.5, std: Math.SQRT2, sem: 1, min: 1.5, max: 3.5 });
  t.same(groups[3].stats.v, { count: 0, mean: null, std: null, sem: null, min: null, max: null });
  t.same(summarize(table, ['s', 'k'], ['v']).map((x) => x.key), [
    { s: 'a', k: 1 },
    { s: 'a', k: String(2n ** 60n) },
    { s: 'a', k: null },
    { s: 'b', k: 3 },
    { s: null, k: 1 },
  ]);
  t.same(summarize(new Table({ v: vectorFromArray([], new Float64()) }), []), [{ key: {}, done: 0, failed: 0, stats: { v: { count: 0, mean: null, std: null, sem: null, min: null, max: null } } }]);
  t.throws(() => summarize(table, ['nope']), { name: 'UsageError', code: 'E_USAGE', message: /unknown group-by column 'nope'; the columns are k, s, i, v/ });
  t.throws(() => summarize(table, [], ['s']), { code: 'E_USAGE', message: /column 's' is Utf8, not numeric; the numeric columns are k, i, v/ });
  t.throws(() => summarize(table, [], ['w']), { code: 'E_USAGE', message: /unknown column 'w'/ });
});

t.test('NaN is left out of the statistics and counted apart; ±Infinity are values (mean, min, max infinite; std, sem NaN)', async (t) => {
  const table = new Table({
    g: vectorFromArray(['a', 'a', 'a', 'b', 'b', 'c', 'c', 'd', 'e', 'e'], new Utf8()),
    v: vectorFromArray([1, NaN, 3, 1, Infinity, -Infinity, Infinity, NaN, 2, 4], new Float64()),
  });
  const stats = Object.fromEntries(summarize(table, ['g']).map((x) => [x.key.g, x.stats.v]));
  t.same(stats.a, { count: 2, nan: 1, mean: 2, std: Math.SQRT2, sem: 1, min: 1, max: 3 }, 'NaN skipped, as pandas skips it');
  t.same(stats.b, { count: 2, mean: Infinity, std: NaN, sem: NaN, min: 1, max: Infinity });
  t.same(stats.c, { count: 2, mean: NaN, std: NaN, sem: NaN, min: -Infinity, max: Infinity }, 'the mean of +inf and -inf is NaN');
  t.same(stats.d, { count: 0, nan: 1, mean: null, std: null, sem: null, min: null, max: null });
  t.same(stats.e, { count: 2, mean: 3, std: Math.SQRT2, sem: 1, min: 2, max: 4 }, 'no nan key without a NaN');
  const s = { dir: 'x', name: 'x', source: 'dataset' as const, staleReason: null, total: 10, done: 10, failed: 0, pending: 0, by: ['g'], columns: ['v'], groups: summarize(table, ['g']) };
  const lines = renderSummaryTable(s).split('\n');
  t.match(lines[0], /^g\s+done\s+failed\s+column\s+count\s+nan\s+mean\s+std\s+sem\s+min\s+max$/);
  t.match(lines[3], /^c\s+2\s+0\s+v\s+2\s+0\s+NaN\s+NaN\s+NaN\s+-Infinity\s+Infinity$/);
  t.match(lines[4], /^d\s+1\s+0\s+v\s+0\s+1\s+-/, 'a group whose values are all NaN is shown');
  t.same(JSON.parse(renderSummaryJson(s)).groups[2].stats.v, { count: 2, mean: 'NaN', std: 'NaN', sem: 'NaN', min: '-Infinity', max: 'Infinity' }, 'JSON: non-finite statistics as text');
});

t.test('readEnsembleSummary: from the records while the dataset is missing or stale, from the dataset when fresh', async (t) => {
  const dir = t.testdir({});
  const tasks = taskRows(200);
  const all = partialRecords(200);
  const early = all.filter((r) => r.task < 100);
  writeEnsemble(dir, tasks, early, 3);
  writePlanFile(dir, 200);

  const first = await readEnsembleSummary(dir, { by: ['mode'] });
  t.equal(first.source, 'records');
  t.equal(first.staleReason, 'no dataset.parquet yet');
  const finals = new Map(early.map((r) => [r.task, r]));
  const done = [...finals.values()].filter((r) => r.status === 'done').length;
  t.match(first, { name: 'partial', total: 200, done, failed: finals.size - done, pending: 200 - finals.size, by: ['mode'], columns: RESULTS });
  t.notOk(readdirSync(dir).includes('dataset.parquet'), 'summary writes nothing');

  await collect(new EnsembleLayout(dir), PARAMS);
  const fresh = await readEnsembleSummary(dir, { by: ['mode'] });
  t.equal(fresh.source, 'dataset');
  t.same({ ...fresh, source: 'records', staleReason: first.staleReason }, first, 'same numbers from the dataset as from the records');
  t.equal((await readEnsembleSummary(dir, { by: ['mode'], fromRecords: true })).source, 'records');

  // More tasks finish after the collection: their record files are newer than the dataset.
  const late = all.filter((r) => r.task >= 100);
  const file = join(dir, 'results', 'w0001.ndjson');
  appendFileSync(file, late.map((r) => JSON.stringify(r) + '\n').join(''));
  const future = new Date(Date.now() + 10_000);
  utimesSync(file, future, future);
  const stale = await readEnsembleSummary(dir, { by: ['mode'] });
  t.equal(stale.source, 'records');
  t.equal(stale.staleReason, 'dataset.parquet is older than the newest records');
  t.ok(stale.done > first.done, 'the late tasks count at once');
  const c = await collect(new EnsembleLayout(dir), PARAMS);
  const table = await readDatasetParquet(c.files.parquet);
  t.same(stale.groups, summarize(table, ['mode'], RESULTS), 'equal to summarizing a fresh collection');
  t.equal(stale.pending, 200 - c.rows);

  await t.rejects(readEnsembleSummary(dir, { by: ['gamma'] }), {
    name: 'UsageError',
    code: 'E_USAGE',
    message: /^unknown group-by column 'gamma': the parameters are alpha, beta, mode; other columns: task_id, batch, point, replicate, r0/,
  });
  const text = renderSummaryTable(stale);
  const lines = text.trimEnd().split('\n');
  t.match(lines[0], /^mode\s+done\s+failed\s+column\s+count\s+mean\s+std\s+sem\s+min\s+max$/);
  t.equal(lines.length, 1 + 2 * RESULTS.length, 'a line per group and column');
  t.equal(new Set(lines.map((l) => l.length)).size, 1, 'every line as wide as the header: aligned');
});

t.test('a directory that is neither an ensemble nor holds a dataset: the plan error', async (t) => {
  const dir = t.testdir({});
  await t.rejects(readEnsembleSummary(dir), { name: 'EnsembleError', message: /not a planned ensemble/ });
});

t.test('CLI: summary of a real ensemble equals DuckDB; --by unknown is a usage error listing the parameters', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ modes: ['ok', 'exit3'], xs: [1, 2, 3, 4] }));
  const run = await runCli(['run', config, '--no-progress']);
  t.equal(run.exitCode, 3, run.stderr);
  const ens = join(dir, 'ens');
  const r = await runCli(['summary', config, '--by', 'mode', '--json']);
  t.equal(r.exitCode, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  t.match(s, { name: 'test', source: 'dataset', total: 8, done: 4, failed: 4, pending: 0, by: ['mode'], columns: ['y'] });
  const want = await query(
    `select mode, count(y) as n, avg(y) as mean, stddev_samp(y) as std, min(y) as min, max(y) as max from read_parquet('${join(ens, 'dataset.parquet')}') where status = 'done' group by mode`,
  );
  t.same(
    s.groups.filter((g: SummaryGroup) => g.done > 0).map((g: SummaryGroup) => ({ mode: g.key.mode, n: g.stats.y.count, mean: g.stats.y.mean, std: g.stats.y.std, min: g.stats.y.min, max: g.stats.y.max })),
    want,
  );
  t.same(
    s.groups.map((g: SummaryGroup) => [g.key.mode, g.done, g.failed]),
    [
      ['exit3', 0, 4],
      ['ok', 4, 0],
    ],
  );

  const human = await runCli(['summary', ens, '--by', 'mode,x', '--columns', 'y,duration_s']);
  t.equal(human.exitCode, 0, human.stderr);
  t.match(human.stdout, /^test: 8 tasks: 4 done, 4 failed, 0 pending \(from dataset\.parquet\)\nmode\s+x\s+done\s+failed\s+column/);
  t.match(human.stdout, /\nok\s+4\s+1\s+0\s+y\s+1\s+8\s+-\s+-\s+8\s+8\n/);

  const bad = await runCli(['summary', ens, '--by', 'mode,alpha']);
  t.equal(bad.exitCode, 2);
  t.equal(bad.stdout, '');
  t.match(bad.stderr, /^arrayflow: unknown group-by column 'alpha': the parameters are mode, x; other columns: /);
  t.notMatch(bad.stderr, /at .*\.js/, 'no stack trace');
});
