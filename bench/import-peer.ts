// Benchmark: `collect --from` against Enchanted Surrogates' own gathering (bench/es-gather.py), on the run tree that tool leaves behind.
// First, as cli/main.ts does: the measured child compiles parquet-wasm as the command line would.
import '../src/collect/wasm-tiering.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { importResults } from '../src/collect/import.js';
import { best, childArgs, header, loadLine, mb, measureChild, option, packageRoot, report, resultOf, rng, s, startClock, table, timed, workDir, type Measured } from './lib.js';

// Bump when the generated inputs change shape, so cached inputs are made again.
const FORMAT = 1;
/** The runner name in the column names simulation_task.py derives from it (success_<name>, runtime_sec_<name>). */
const RUNNER = 'BenchRunner';
const PATTERN = 'data/*/enchanted_datapoint.csv';
const DRIVER = join(packageRoot, 'bench', 'es-gather.py');
const GOAL = 40;
/** The peer's ways of gathering finished runs that bench/es-gather.py runs (its FN argument). */
const PEER_FNS: Record<string, string> = {
  default:
    'what Supervisor.start does by default with a finished batch and at its end: load_batch_to_df + write_summary + ' +
    'hdf5_append_datapoints (its default storage: every run read again into runs.h5) + hdf5_write_aggregate_dataset_and_metadata (needs h5py)',
  batch: 'Supervisor.load_batch_to_df(run_dirs) + write_summary(df, "w") alone: its fastest function (run_dirs named, not listed; no runs.h5)',
  create: 'Supervisor.create_dataset() (lists data/, pd.concat per file) + write_summary(df, "w"); no runs.h5',
};

const HOW_TO_GET = `the peer is not in this repository; to compare, fetch it and its Python packages, then pass its path:
  git clone https://github.com/DIGIfusion/enchanted-surrogates /some/where/enchanted-surrogates   (outside this repository)
  sudo bash scripts/peers-up.sh          (Debian's python3-pandas, -numpy, -yaml, -h5py for /usr/bin/python3)
  npm run bench -- import-peer --es /some/where/enchanted-surrogates`;

interface Inputs {
  /** base_run_dir: data/d0_b0_s<j>_r0/enchanted_datapoint.csv for j < n. */
  base: string;
  n: number;
  /** Where each side writes its dataset. */
  afOut: string;
  esOut: string;
}

/**
 * A float as Python's repr (what pandas' to_csv writes): the same shortest round-trip digits as JavaScript, but exponent form below
 * 1e-4 (JavaScript: 1e-6) and a two-digit exponent.
 */
function pyFloat(x: number): string {
  if (x !== 0 && Math.abs(x) < 1e-4) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/**
 * One run's enchanted_datapoint.csv as executors/simulation_task.py writes it (pandas to_csv, header, no index): the runner's
 * output (9 result columns and `success`), success_<runner>, the sampled parameters, runtime_sec_<runner>, run_dir last.
 */
function datapoint(runDir: string, i: number, next: () => number): string {
  const row: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(resultOf(i, next))) row.push([k, typeof v === 'number' ? pyFloat(v) : v]);
  row.push(['success', 'True'], [`success_${RUNNER}`, 'True']);
  row.push(['x1', pyFloat(next())], ['x2', pyFloat(next() * 100)], ['x3', pyFloat(next() - 0.5)]);
  row.push([`runtime_sec_${RUNNER}`, pyFloat(0.001 + next() * 0.01)], ['run_dir', runDir]);
  return `${row.map((c) => c[0]).join(',')}\n${row.map((c) => c[1]).join(',')}\n`;
}

/** Writes (or reuses) base_run_dir/data/d0_b0_s<j>_r0/enchanted_datapoint.csv for j < n: one batch, as Supervisor.start names its runs. */
async function generate(dir: string, n: number): Promise<Inputs> {
  const root = join(dir, `es-n${n}`);
  const inputs: Inputs = { base: join(root, 'base_run_dir'), n, afOut: join(root, 'arrayflow-out'), esOut: join(root, 'es-out') };
  const marker = join(root, 'complete.json');
  if (existsSync(marker) && JSON.parse(await readFile(marker, 'utf8')).format === FORMAT) return inputs;
  await rm(root, { recursive: true, force: true });
  await mkdir(join(inputs.base, 'data'), { recursive: true });
  const next = rng(n);
  const texts = Array.from({ length: n }, (_, j) => {
    const runDir = join(inputs.base, 'data', `d0_b0_s${j}_r0`);
    return { runDir, text: datapoint(runDir, j, next) };
  });
  let k = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (k < texts.length) {
        const { runDir, text } = texts[k++];
        await mkdir(runDir);
        await writeFile(join(runDir, 'enchanted_datapoint.csv'), text);
      }
    }),
  );
  await writeFile(marker, JSON.stringify({ format: FORMAT, n }));
  return inputs;
}

async function child(mode: string, inputs: Inputs): Promise<void> {
  if (mode !== 'import') throw new Error(`unknown import-peer child mode ${mode}`);
  const clock = startClock();
  // as `arrayflow collect --from BASE --pattern PATTERN --out OUT` calls it (default formats parquet + csv)
  const r = await importResults(inputs.base, { pattern: PATTERN, outDir: inputs.afOut });
  report({ ...clock.stop(), rows: r.rows, problems: r.problems.length });
}

/** The peer's side: the driver under /usr/bin/time (process wall, CPU, peak RSS), with its own report of the measured call. */
async function peer(python: string, es: string, fn: string, inputs: Inputs): Promise<Measured> {
  await rm(inputs.esOut, { recursive: true, force: true });
  const cost = await timed([python, DRIVER, es, inputs.base, String(inputs.n), fn, inputs.esOut]);
  const line = cost.stdout.split('\n').find((l) => l.startsWith('BENCH_REPORT '));
  if (line === undefined) throw new Error(`es-gather.py printed no report: ${cost.stdout.slice(-2000)}`);
  const r = JSON.parse(line.slice('BENCH_REPORT '.length)) as Measured;
  return { ...r, processSeconds: cost.wall, processCpuSeconds: cost.cpu };
}

async function arrayflow(inputs: Inputs): Promise<Measured> {
  await rm(inputs.afOut, { recursive: true, force: true });
  const m = await measureChild('import-peer', 'import', inputs);
  if (m.rows !== inputs.n || m.problems !== 0) throw new Error(`collect --from gave ${String(m.rows)} rows and ${String(m.problems)} problems for ${inputs.n} files`);
  return m;
}

const x = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;

export async function main(argv: string[]): Promise<void> {
  const c = childArgs(argv);
  if (c !== null) return child(c.mode, c.args as Inputs);

  const sizes = option(argv, 'sizes', '10000').split(',').map(Number);
  const repeat = Number(option(argv, 'repeat', '3'));
  const esOpt = option(argv, 'es', '');
  const es = esOpt === '' ? '' : resolve(esOpt);
  // The peer's gathering paths (bench/es-gather.py): `default` is what a user of it gets, `batch` its fastest function alone.
  const fns = option(argv, 'es-fn', 'default,batch').split(',');
  const python = option(argv, 'python', '/usr/bin/python3');
  for (const fn of fns) if (!Object.hasOwn(PEER_FNS, fn)) throw new Error(`--es-fn takes ${Object.keys(PEER_FNS).join(', ')} (comma-separated), not ${fn}`);
  if (es !== '' && !existsSync(join(es, 'src', 'enchanted_surrogates', 'supervisor', 'supervisor.py'))) {
    throw new Error(`--es ${es}: no src/enchanted_surrogates/supervisor/supervisor.py there (a checkout of DIGIfusion/enchanted-surrogates?)`);
  }
  await header('collect --from against Enchanted Surrogates gathering the same finished runs (one one-row CSV per run directory)');
  const base = await workDir(argv, 'import-peer');
  console.log(`layout (Enchanted Surrogates' own): base_run_dir/data/d0_b0_s<j>_r0/enchanted_datapoint.csv, one batch of N runs named as`);
  console.log(`  Supervisor.start names them; each file as executors/simulation_task.py writes it (pandas to_csv, header + one row):`);
  console.log(`  9 result columns (8 float + 1 string), success, success_${RUNNER}, 3 parameters, runtime_sec_${RUNNER}, run_dir (16 columns)`);
  console.log(`inputs in ${base} (kept between runs; all reads are warm page-cache reads)`);
  console.log(`arrayflow: importResults(base_run_dir, { pattern: '${PATTERN}' }) in a fresh Node process, as \`arrayflow collect --from`);
  console.log(`  base_run_dir --pattern '${PATTERN}'\` does: lists data/, reads every file, writes dataset.parquet + dataset.csv`);
  if (es === '') {
    console.log(`\nEnchanted Surrogates: skipped (no --es PATH); ${HOW_TO_GET}\n`);
  } else {
    console.log(`Enchanted Surrogates (${es}), each path (--es-fn) run by ${python} (--python) in a fresh process under /usr/bin/time:`);
    for (const fn of fns) console.log(`  ${fn}: ${PEER_FNS[fn]}`);
    console.log(`  its summary is enchanted_dataset.csv (Parquet would need pyarrow, which Debian does not package); driver ${DRIVER}`);
  }
  console.log(`each figure: best of ${repeat} (--repeat), the sides alternating (the order rotates every repeat), measured call only;`);
  console.log(`process = spawn to exit (incl. interpreter start and imports); CPU = user + system of the measured call, lowest; peak RSS highest\n`);

  const rows: Array<Array<string | number>> = [];
  const verdicts: string[] = [];
  for (const n of sizes) {
    const tg = performance.now();
    const inputs = await generate(base, n);
    console.log(`N=${n}: inputs ready in ${s((performance.now() - tg) / 1000)}; ${loadLine()}`);
    const af: Measured[] = [];
    const pe = new Map<string, Measured[]>(es === '' ? [] : fns.map((fn) => [fn, []]));
    for (let r = 0; r < repeat; r++) {
      const sides = [
        async () => {
          af.push(await arrayflow(inputs));
          return `arrayflow ${s(af[r].seconds)} (CPU ${s(af[r].cpuSeconds)})`;
        },
        ...[...pe].map(([fn, ms]) => async () => {
          const m = await peer(python, es, fn, inputs);
          ms.push(m);
          return `Enchanted Surrogates ${fn} ${s(m.seconds)} (CPU ${s(m.cpuSeconds)}, ${String(m.rows)} rows)`;
        }),
      ];
      const order = [...sides.slice(r % sides.length), ...sides.slice(0, r % sides.length)];
      const said: string[] = [];
      for (const side of order) said.push(await side());
      console.log(`  #${r + 1}: ${said.join('  ')}; ${loadLine()}`);
    }
    const a = best(af);
    rows.push([n, 'arrayflow collect --from', s(a.seconds), s(a.worstSeconds), s(a.bestCpuSeconds), s(a.processSeconds), mb(a.peakRssMaxMb), '']);
    for (const [fn, ms] of pe) {
      const p = best(ms);
      if (p.rows !== n) throw new Error(`Enchanted Surrogates (${fn}) gathered ${String(p.rows)} rows from ${n} runs`);
      rows.push([n, `Enchanted Surrogates (${fn})`, s(p.seconds), s(p.worstSeconds), s(p.bestCpuSeconds), s(p.processSeconds), mb(p.peakRssMaxMb), `pandas ${String(p.pandas)}, ${String(p.columns)} columns`]);
      rows.push([n, `ratio (${fn} / arrayflow)`, x(p.seconds, a.seconds), x(p.worstSeconds, a.worstSeconds), x(p.bestCpuSeconds, a.bestCpuSeconds), x(p.processSeconds, a.processSeconds), '', '']);
      const ratio = p.seconds / a.seconds;
      verdicts.push(`N=${n}, against ${fn}: ${x(p.seconds, a.seconds)} (measured call), ${x(p.processSeconds, a.processSeconds)} (process); goal >= ${GOAL}×: ${ratio >= GOAL ? 'met' : 'MISSED'}`);
    }
  }
  console.log('');
  console.log(table(['N', 'side', 'best', 'worst', 'CPU', 'process', 'peak RSS', ''], rows));
  console.log('');
  for (const v of verdicts) console.log(v);
  if (es === '') console.log(`Enchanted Surrogates not measured: pass --es PATH (see above)`);
  console.log(`end: ${loadLine()}`);
}
