import t from 'tap';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildImportTable, importResults, parsePathParams, parseResultFile, PARAMS_METADATA_KEY } from '../../src/collect/import.js';
import { readEnsembleSummary } from '../../src/collect/summary.js';
import { readDatasetParquet } from '../../src/collect/parquet.js';
import { dropTapHooks, runCli } from '../helpers/ensemble.js';

// The CLI children start faster without tap's loaders in NODE_OPTIONS.
dropTapHooks();

async function query(sql: string): Promise<{ names: string[]; types: string[]; rows: Record<string, unknown>[] }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(sql);
    const rows = r.getRowObjectsJS().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
    return { names: r.columnNames(), types: r.columnTypes().map(String), rows };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

function put(root: string, rel: string, text: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
}

/** 8 numbers and a string, deterministic in i. */
function result(i: number): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (let k = 0; k < 8; k++) out[`v${k}`] = Math.cos(i * 0.91 + k) * 10 ** (k - 4);
  out.tag = `run-${i}`;
  return out;
}

const BAD: Record<string, string> = {
  'run_0007/result.json': '{"v0": 1,',
  'run_0013/result.json': '[1, 2, 3]',
  'run_0021/result.json': '',
  'run_0034/result.json': '42',
  'run_0055/result.csv': 'v0,tag\n1,a\n2,b\n',
  'run_0089/result.csv': 'v0,tag\n1\n',
};

/** A results tree: `run_NNNN/result.json` (or .csv every tenth run), a few malformed, plus files that must not match. */
function makeTree(root: string, n: number): { good: number[] } {
  const good: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = String(i).padStart(4, '0');
    const json = `run_${id}/result.json`;
    const csv = `run_${id}/result.csv`;
    if (BAD[json] !== undefined) put(root, json, BAD[json]);
    else if (BAD[csv] !== undefined) put(root, csv, BAD[csv]);
    else if (i % 10 === 5) {
      const r = result(i);
      put(root, csv, `${Object.keys(r).join(',')}\r\n${Object.values(r).join(',')}\r\n`);
      good.push(i);
    } else {
      put(root, json, JSON.stringify(result(i)));
      good.push(i);
    }
    put(root, `run_${id}/stdout.log`, 'not a result\n');
  }
  put(root, 'run_0001/nested/result.json', '{"nested": true}');
  put(root, 'notes/result.json', '{"notes": true}');
  return { good };
}

t.test('pure parts: key=value segments, result files, column naming and types', async (t) => {
  t.same(parsePathParams('alpha=0.5/beta=2/run_3/x=9.json'), { alpha: '0.5', beta: '2' }, 'directory segments only');
  t.same(parsePathParams('a=1/a=2/r.json'), { a: '2' }, 'the deepest wins');
  t.same(parsePathParams('r.json'), {});
  t.same(parseResultFile('a/r.json', '{"x": 1, "n": {"y": [1, 2]}}'), { ok: true, result: { x: 1, 'n.y': '[1,2]' } });
  t.same(parseResultFile('a/r.CSV', 'x,s\n1.5,"a, b"\n'), { ok: true, result: { x: 1.5, s: 'a, b' } });
  t.match(parseResultFile('a/r.json', '  \n'), { ok: false, reason: 'bad result: a/r.json is empty' });
  t.same(parseResultFile('a/r.json', '\ufeff{"x": 2}'), { ok: true, result: { x: 2 } }, 'a byte-order mark is skipped');
  t.match(parseResultFile('a/r.json', '[1]'), { ok: false, reason: 'bad result: a/r.json must hold a JSON object, not an array' });

  const table = buildImportTable([
    { path: 'seed=1/alpha=0.5/path=x/r.json', params: { seed: '1', alpha: '0.5', path: 'x' }, result: { y: 1, seed: 3, ok: true } },
    { path: 'seed=2/alpha=1.50/path=y/r.json', params: { seed: '2', alpha: '1.50', path: 'y' }, result: { y: 2.5, ok: false, s: 'a' } },
    { path: 'seed=3/alpha=abc/path=z/r.json', params: { seed: '3', alpha: 'abc', path: 'z' }, result: { y: null, s: 7 } },
  ]);
  t.same(
    table.schema.fields.map((f) => `${f.name}:${f.type}`),
    ['path:Utf8', 'seed:Int64', 'alpha:Utf8', 'param_path:Utf8', 'y:Float64', 'result_seed:Float64', 'ok:Bool', 's:Utf8'],
  );
  t.same(JSON.parse(table.schema.metadata.get(PARAMS_METADATA_KEY)!), ['path', 'seed', 'alpha', 'param_path']);
  t.same(table.getChild('alpha')!.toArray(), ['0.5', '1.50', 'abc'], 'a text parameter keeps its segment text');
  t.same([...table.getChild('s')!], [null, 'a', '7'], 'mixed results are text, JSON-encoded');
  t.same([...table.getChild('y')!], [1, 2.5, null]);
});

t.test('collect --from a tree with malformed files: rows for the good ones, a clear list of the bad ones, DuckDB reads it', async (t) => {
  const root = t.testdir({});
  const { good } = makeTree(root, 400);
  const r = await importResults(root, { pattern: 'run_*/result.*' });
  t.equal(r.matched, 400, 'one result file per run; logs, nested and other directories do not match');
  t.equal(r.rows, good.length);
  t.same(
    r.problems.map((p) => p.path),
    Object.keys(BAD).sort(),
  );
  const reasons = Object.fromEntries(r.problems.map((p) => [p.path, p.reason]));
  t.match(reasons, {
    'run_0007/result.json': /^bad result: run_0007\/result\.json is not valid JSON \(/,
    'run_0013/result.json': 'bad result: run_0013/result.json must hold a JSON object, not an array',
    'run_0021/result.json': 'bad result: run_0021/result.json is empty',
    'run_0034/result.json': 'bad result: run_0034/result.json must hold a JSON object, not 42',
    'run_0055/result.csv': 'bad result: run_0055/result.csv must be a CSV with a header and exactly one row (it has 2 data rows)',
    'run_0089/result.csv': 'bad result: run_0089/result.csv has 2 header fields but 1 values',
  });
  t.same(
    readFileSync(r.errors, 'utf8').trim().split('\n').map((l) => JSON.parse(l)),
    r.problems,
    'import-errors.ndjson lists the same problems',
  );
  t.same(r, { ...r, parquet: join(root, 'dataset.parquet'), csv: join(root, 'dataset.csv'), errors: join(root, 'import-errors.ndjson') });

  const q = await query(`select * from read_parquet('${r.parquet}') order by path`);
  t.equal(q.rows.length, good.length);
  t.same(q.names, ['path', 'v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'tag']);
  t.same(q.types, ['VARCHAR', ...Array(8).fill('DOUBLE'), 'VARCHAR']);
  const mismatches: string[] = [];
  q.rows.forEach((row, k) => {
    const i = good[k];
    const want = { path: `run_${String(i).padStart(4, '0')}/result.${i % 10 === 5 ? 'csv' : 'json'}`, ...result(i) };
    for (const [key, v] of Object.entries(want)) if (row[key] !== v) mismatches.push(`${want.path} ${key}: ${row[key]} != ${v}`);
  });
  t.same(mismatches, [], 'every value round-trips (CSV numbers included)');
  const csv = await query(`select count(*)::int as n, sum(v3) as s from read_csv_auto('${r.csv}')`);
  const pq = await query(`select sum(v3) as s from read_parquet('${r.parquet}')`);
  t.equal(csv.rows[0].n, good.length);
  t.ok(Math.abs((csv.rows[0].s as number) - (pq.rows[0].s as number)) < 1e-9, 'the CSV holds the same values');

  // Again, from another concurrency and with the previous outputs inside the tree: byte-identical.
  const p1 = readFileSync(r.parquet);
  const c1 = readFileSync(r.csv!);
  const again = await importResults(root, { pattern: 'run_*/result.*', concurrency: 1 });
  t.equal(again.rows, r.rows);
  t.ok(readFileSync(again.parquet).equals(p1), 'parquet byte-identical');
  t.ok(readFileSync(again.csv!).equals(c1), 'csv byte-identical');
});

t.test('patterns: literal names without listing, ** and bare names at any depth, key=value parameters, own outputs skipped', async (t) => {
  const root = t.testdir({});
  for (const mode of ['fast', 'slow']) {
    for (let seed = 0; seed < 3; seed++) put(root, `mode=${mode}/seed=${seed}/out/result.json`, JSON.stringify({ y: seed * 10 + (mode === 'fast' ? 1 : 2) }));
  }
  put(root, 'mode=fast/extra/out/result.json', '{"y": 100}');
  const out = join(root, 'collected');
  const seg = await importResults(root, { pattern: 'mode=*/seed=*/out/result.json', outDir: out });
  t.equal(seg.rows, 6, 'per-segment matching: mode=fast/extra is not a seed=* directory');
  const table = await readDatasetParquet(seg.parquet);
  t.same(table.schema.fields.map((f) => `${f.name}:${f.type}`), ['path:Utf8', 'mode:Utf8', 'seed:Int64', 'y:Float64']);
  t.same(readdirSync(out).sort(), ['dataset.csv', 'dataset.parquet', 'import-errors.ndjson']);
  t.equal(readFileSync(seg.errors, 'utf8'), '', 'an empty error list when nothing was bad');

  const deep = await importResults(root, { pattern: '**/out/result.json', outDir: out });
  t.equal(deep.rows, 7);
  const bare = await importResults(root, { pattern: 'result.json', outDir: out });
  t.equal(bare.rows, 7, 'a pattern without / matches the file name at any depth');

  // The import's own CSV inside the tree is never an input.
  const inside = await importResults(root, { pattern: '*.json' });
  t.equal(inside.rows, 7);
  const csvs = await importResults(root, { pattern: '*.csv' });
  t.same(csvs.problems.map((p) => p.path), ['collected/dataset.csv'], "this import's dataset.csv is not an input (an earlier one elsewhere is)");
  t.equal(csvs.rows, 0, 'every matched file bad: an empty dataset and the list');

  const summary = await readEnsembleSummary(out, { by: ['mode'] });
  t.match(summary, { name: null, source: 'dataset', total: 7, done: 7, columns: ['y'] });
  t.same(summary.groups.map((g) => [g.key.mode, g.stats.y.count, g.stats.y.mean]), [['fast', 4, 33.25], ['slow', 3, 12]]);

  await t.rejects(importResults(root, { pattern: '../x/*.json' }), { code: 'E_USAGE', message: /must be a relative glob/ });
  await t.rejects(importResults(root, { pattern: '/abs/*.json' }), { code: 'E_USAGE' });
  await t.rejects(importResults(join(root, 'missing'), { pattern: '*.json' }), { name: 'DataError', message: /cannot read/ });
});

t.test('CLI: collect --from lists the bad files on stderr and exits 3; usage errors exit 2', async (t) => {
  const root = t.testdir({});
  makeTree(root, 120);
  const out = join(root, 'out');
  const r = await runCli(['collect', '--from', root, '--pattern', 'run_*/result.*', '--out', out]);
  t.equal(r.exitCode, 3, r.stderr);
  t.equal(r.stdout, `114 rows from 120 files\n${join(out, 'dataset.parquet')}\n${join(out, 'dataset.csv')}`);
  const lines = r.stderr.trimEnd().split('\n');
  t.equal(lines.length, 7);
  t.match(lines[0], /^bad result: run_0007\/result\.json is not valid JSON/);
  t.equal(lines[6], `warning: 6 of 120 files gave no row; all are listed in ${join(out, 'import-errors.ndjson')}`);

  const ok = await runCli(['collect', '--from', root, '--pattern', 'run_01*/result.json', '--out', out]);
  t.equal(ok.exitCode, 0, ok.stderr);
  t.equal(ok.stderr, '');
  t.match(ok.stdout, /^18 rows from 18 files\n/, 'run_0100..run_0119, minus the two CSV results');

  const usage = await runCli(['collect', '--from', root]);
  t.equal(usage.exitCode, 2);
  t.match(usage.stderr, /needs both --from DIR and --pattern GLOB/);
  const none = await runCli(['collect', '--from', root, '--pattern', 'nothing/*.json']);
  t.equal(none.exitCode, 1);
  t.match(none.stderr, /^arrayflow: no file under .* matches the pattern 'nothing\/\*\.json'$/);
});
