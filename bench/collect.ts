// Benchmark: N one-row results -> dataset.parquet + dataset.csv with the real collector, against reading the inputs unparsed and DuckDB reading the same NDJSON, and the per-run-file import.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { collect } from '../src/collect/collect.js';
import { readFinalIndex } from '../src/records/final-index.js';
import { importResults } from '../src/collect/import.js';
import { EnsembleLayout } from '../src/layout/layout.js';
import { readTaskCount, rowsTable, writeTaskTable } from '../src/plan/tasks.js';
import type { TaskRecord } from '../src/records/record.js';
import type { TaskRow } from '../src/plan/tasks.js';
import { best, childArgs, header, loadLine, mb, measureChild, option, ratio, report, resultOf, rng, s, startClock, table, workDir, type Measured } from './lib.js';

const PARAMS = ['x1', 'x2', 'x3'];
// Bump when the generated inputs change shape, so cached inputs are made again.
const FORMAT = 2; // 2: the task table is plan/tasks.bin

interface Inputs {
  /** Ensemble dir: plan/tasks.bin + results/*.ndjson as the task wrappers write them. */
  ensemble: string;
  /** Per-run tree: run_000000/result.json ... (what other tools leave behind). */
  tree: string;
  /** Where the import writes its dataset. */
  importOut: string;
}

async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Writes (or reuses) the inputs for N tasks: the ensemble dir with `files` record files, and the per-run tree (only when `tree`). */
async function generate(base: string, n: number, files: number, tree: boolean): Promise<Inputs> {
  const dir = join(base, `n${n}-f${files}${tree ? '' : '-notree'}`);
  const inputs: Inputs = { ensemble: join(dir, 'ensemble'), tree: join(dir, 'runs'), importOut: join(dir, 'import-out') };
  const marker = join(dir, 'complete.json');
  if (existsSync(marker) && JSON.parse(await readFile(marker, 'utf8')).format === FORMAT) return inputs;
  await rm(dir, { recursive: true, force: true });
  const layout = new EnsembleLayout(inputs.ensemble);
  await Promise.all([mkdir(layout.planDir, { recursive: true }), mkdir(layout.resultsDir, { recursive: true }), mkdir(inputs.tree, { recursive: true })]);

  const next = rng(n);
  const rows: TaskRow[] = [];
  const results: Array<Record<string, number | string>> = [];
  for (let i = 0; i < n; i++) {
    rows.push({ id: i, batch: 0, seed: Math.floor(next() * 2 ** 32), params: { x1: next(), x2: next() * 100, x3: next() - 0.5 } });
    results.push(resultOf(i, next));
  }
  await writeTaskTable(layout, rowsTable(rows));

  // One record file per array element, each holding a contiguous block of tasks (bundles), as on a cluster.
  const t0 = Date.UTC(2026, 0, 1);
  const per = Math.ceil(n / files);
  for (let f = 0; f < files; f++) {
    const lines: string[] = [];
    for (let i = f * per; i < Math.min(n, (f + 1) * per); i++) {
      const start = t0 + i * 1000;
      const duration = 5 + next() * 60;
      const rec: TaskRecord = {
        task: i,
        attempt: 1,
        status: 'done',
        reason: null,
        exit_code: 0,
        signal: null,
        host: `node${String(f % 64).padStart(3, '0')}`,
        job_id: `731_${f}`,
        start: new Date(start).toISOString(),
        end: new Date(start + duration * 1000).toISOString(),
        duration_s: duration,
        result: results[i],
        source: 'wrapper',
      };
      lines.push(JSON.stringify(rec) + '\n');
    }
    await writeFile(layout.recordFile(`e${f}-a1-731_${f}`), lines.join(''));
  }

  // The peer layout: one directory and one result file per run, parameters stored with the results.
  if (!tree) {
    await writeFile(marker, JSON.stringify({ format: FORMAT, n, files }));
    return inputs;
  }
  const ids = Array.from({ length: n }, (_, i) => i);
  await pool(ids, 64, async (i) => {
    const d = join(inputs.tree, `run_${String(i).padStart(6, '0')}`);
    await mkdir(d);
    await writeFile(join(d, 'result.json'), JSON.stringify({ ...rows[i].params, ...results[i] }));
  });
  await writeFile(marker, JSON.stringify({ format: FORMAT, n, files }));
  return inputs;
}

/** The floor of the collector: read tasks.bin and every record file as bytes (synchronous reads: the cheapest on a local disk). */
function readRecordsRaw(ensemble: string): number {
  const layout = new EnsembleLayout(ensemble);
  let bytes = readFileSync(layout.tasks).length;
  for (const name of readdirSync(layout.resultsDir)) {
    if (name.endsWith('.ndjson')) bytes += readFileSync(join(layout.resultsDir, name)).length;
  }
  return bytes;
}

/** The floor of the import: list the tree and read every result file as bytes (synchronous reads, as above). */
function readTreeRaw(tree: string): number {
  let bytes = 0;
  for (const d of readdirSync(tree)) {
    if (d.startsWith('run_')) bytes += readFileSync(join(tree, d, 'result.json')).length;
  }
  return bytes;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

async function child(mode: string, inputs: Inputs): Promise<void> {
  const clock = startClock();
  if (mode === 'collect') {
    const r = await collect(new EnsembleLayout(inputs.ensemble), PARAMS);
    const t = clock.stop();
    report({ ...t, rows: r.rows, parquetBytes: await sizeOf(r.files.parquet), csvBytes: await sizeOf(r.files.csv!) });
  } else if (mode === 'index') {
    // the first pass alone: every record file read and parsed, each task's final record located
    const layout = new EnsembleLayout(inputs.ensemble);
    const index = await readFinalIndex(layout.resultsDir, await readTaskCount(layout));
    report({ ...clock.stop(), bad: index.bad });
  } else if (mode === 'duckdb') {
    // the peer: DuckDB reads the same NDJSON, keeps the highest attempt per task, joins nothing (no task table) and writes Parquet + CSV
    const out = inputs.importOut;
    await mkdir(out, { recursive: true });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const src = join(new EnsembleLayout(inputs.ensemble).resultsDir, '*.ndjson');
    await c.run(`CREATE TEMP TABLE finals AS SELECT * EXCLUDE (result), result.* FROM read_ndjson('${src}') QUALIFY row_number() OVER (PARTITION BY task ORDER BY attempt DESC) = 1 ORDER BY task`);
    await c.run(`COPY finals TO '${join(out, 'duckdb.parquet')}' (FORMAT parquet, COMPRESSION snappy)`);
    await c.run(`COPY finals TO '${join(out, 'duckdb.csv')}' (HEADER)`);
    const rows = Number((await c.runAndReadAll('SELECT count(*) FROM finals')).getRows()[0][0]);
    const threads = String((await c.runAndReadAll("SELECT current_setting('threads')")).getRows()[0][0]);
    report({ ...clock.stop(), rows, threads });
  } else if (mode === 'floor-records') {
    const bytes = readRecordsRaw(inputs.ensemble);
    report({ ...clock.stop(), bytes });
  } else if (mode === 'import') {
    const r = await importResults(inputs.tree, { pattern: 'run_*/result.json', outDir: inputs.importOut });
    report({ ...clock.stop(), rows: r.rows, problems: r.problems.length });
  } else if (mode === 'floor-tree') {
    const bytes = readTreeRaw(inputs.tree);
    report({ ...clock.stop(), bytes });
  } else {
    throw new Error(`unknown collect child mode ${mode}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const c = childArgs(argv);
  if (c !== null) return child(c.mode, c.args as Inputs);

  const sizes = option(argv, 'sizes', '1000,10000,100000').split(',').map(Number);
  const repeat = Number(option(argv, 'repeat', '3'));
  const files = Number(option(argv, 'files', '100'));
  const treeMax = Number(option(argv, 'tree-max', '100000'));
  await header(`collect: N one-row results (3 parameters, 9 result columns: 8 float64 + 1 string) -> dataset.parquet + dataset.csv`);
  const base = await workDir(argv, 'collect');
  console.log(`inputs in ${base} (kept between runs; all reads are warm page-cache reads)`);
  console.log(`each figure: best of ${repeat} fresh Node processes, measured call only (process = spawn to exit, incl. Node start and module load)`);
  console.log(`CPU: user + system seconds of the measured call, all threads, lowest of the ${repeat}: less sensitive to the background load than wall time`);
  console.log(`peak RSS: process.resourceUsage().maxRSS of that process, highest of the ${repeat}`);
  console.log(`peer: DuckDB (@duckdb/node-api) reading the same NDJSON, highest attempt per task, -> Parquet (snappy) + CSV, in a fresh process`);
  console.log(`collect --from (the per-run-file tree) only for N <= ${treeMax} (--tree-max)\n`);

  const rows: Array<Array<string | number>> = [];
  const importRows: Array<Array<string | number>> = [];
  const verdicts: string[] = [];
  for (const n of sizes) {
    const tg = performance.now();
    const tree = n <= treeMax;
    const inputs = await generate(base, n, files, tree);
    console.log(`N=${n}: inputs ready in ${s((performance.now() - tg) / 1000)}; ${loadLine()}`);
    const runs: Record<string, Measured[]> = { collect: [], floor: [], duckdb: [], import: [], treeFloor: [] };
    for (let r = 0; r < repeat; r++) {
      // interleaved, so each figure, its floor and its peer see the same background load
      runs.floor.push(await measureChild('collect', 'floor-records', inputs));
      runs.collect.push(await measureChild('collect', 'collect', inputs));
      runs.duckdb.push(await measureChild('collect', 'duckdb', inputs));
      if (tree) {
        runs.treeFloor.push(await measureChild('collect', 'floor-tree', inputs));
        runs.import.push(await measureChild('collect', 'import', inputs));
      }
    }
    const index = await measureChild('collect', 'index', inputs);
    const col = best(runs.collect);
    const fl = best(runs.floor);
    const dk = best(runs.duckdb);
    rows.push([
      n,
      s(col.seconds),
      s(col.worstSeconds),
      s(col.bestCpuSeconds),
      s(col.processSeconds),
      mb(col.peakRssMaxMb),
      `${s(fl.seconds)} (${(Number(fl.bytes) / 2 ** 20).toFixed(1)} MiB)`,
      `${s(dk.seconds)} / ${s(dk.bestCpuSeconds)} / ${mb(dk.peakRssMaxMb)} (${dk.threads} threads)`,
      ratio(col.seconds, dk.seconds),
      `${(Number(col.parquetBytes) / 2 ** 20).toFixed(1)} / ${(Number(col.csvBytes) / 2 ** 20).toFixed(1)} MiB`,
      `${s(index.seconds)} (CPU ${s(index.cpuSeconds)})`,
    ]);
    if (tree) {
      const im = best(runs.import);
      const tf = best(runs.treeFloor);
      importRows.push([n, s(im.seconds), s(im.bestCpuSeconds), s(im.processSeconds), mb(im.peakRssMaxMb), `${s(tf.seconds)} (${(Number(tf.bytes) / 2 ** 20).toFixed(1)} MiB)`, ratio(im.seconds, tf.seconds), ratio(im.seconds, col.seconds)]);
    }
    if (n === 10_000) verdicts.push(`10k: ${s(col.seconds)} (target <= 0.5 s: ${col.seconds <= 0.5 ? 'met' : 'MISSED'})`);
    if (n === 100_000) {
      verdicts.push(`100k: ${s(col.seconds)} (target <= 3 s: ${col.seconds <= 3 ? 'met' : 'MISSED'}), peak RSS ${mb(col.peakRssMaxMb)} (target <= 400 MB: ${col.peakRssMaxMb <= 400 ? 'met' : 'MISSED'})`);
    }
    if (n === 1_000_000) {
      verdicts.push(`1M: ${s(col.seconds)} (target <= 20 s: ${col.seconds <= 20 ? 'met' : 'MISSED'}), peak RSS ${mb(col.peakRssMaxMb)} (target <= 1 GB: ${col.peakRssMaxMb <= 1024 ? 'met' : 'MISSED'})`);
    }
    console.log(`  collect ${s(col.seconds)} (CPU ${s(col.bestCpuSeconds)}, ${mb(col.peakRssMaxMb)})  floor ${s(fl.seconds)}  duckdb ${s(dk.seconds)}; ${loadLine()}`);
  }
  console.log('');
  console.log(`collect(ensembleDir) from ${files} record files (one per array element):`);
  console.log(
    table(['N', 'best', 'worst', 'CPU', 'process', 'peak RSS', 'floor: read inputs unparsed', 'DuckDB: best / CPU / RSS', 'vs DuckDB', 'parquet / csv', 'first pass alone'], rows),
  );
  console.log('');
  console.log('collect --from: the same results as one result.json per run directory (run_*/result.json):');
  console.log(table(['N', 'best', 'CPU', 'process', 'peak RSS', 'floor: list + read files unparsed', 'vs floor', 'vs collect'], importRows));
  console.log('');
  for (const v of verdicts) console.log(v);
  console.log(`end: ${loadLine()}`);
}

