// NaN, Infinity and -Infinity from Python's json.dump, end to end on the local executor: done tasks, float64 NaN/±inf in
// dataset.parquet and dataset.csv as DuckDB reads them, `summary`, and `collect --from` of the same files.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { dropTapHooks, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';

dropTapHooks();

// y: NaN, inf, -inf, 1.5, and no y at all (null); a list with NaN; a string "NaN" that stays a string
const SIM = `import json, math, sys
k = int(sys.argv[1])
out = {"k": k, "label": "NaN", "xs": [1.0, math.nan]}
if k < 4:
    out["y"] = [math.nan, math.inf, -math.inf, 1.5][k]
with open(sys.argv[2] if len(sys.argv) > 2 else "result.json", "w") as f:
    json.dump(out, f)
`;

const PYTHON = '/usr/bin/python3';

/** y, its DuckDB type and tests, the label's type and the list's text of each row of `from`, by k. */
async function rows(from: string) {
  return duckQuery(
    `select k::int as k, y, typeof(y) as type, isnan(y) as nan, isinf(y) as inf, y is null as "null", typeof(label) as label, xs from ${from} order by k`,
  );
}

const WANT = [
  { k: 0, y: NaN, type: 'DOUBLE', nan: true, inf: false, null: false },
  { k: 1, y: Infinity, type: 'DOUBLE', nan: false, inf: true, null: false },
  { k: 2, y: -Infinity, type: 'DOUBLE', nan: false, inf: true, null: false },
  { k: 3, y: 1.5, type: 'DOUBLE', nan: false, inf: false, null: false },
  { k: 4, y: null, type: 'DOUBLE', nan: null, inf: null, null: true },
];

t.test('a Python simulation writing NaN and ±Infinity with json.dump: done, and float64 NaN/±inf in Parquet and CSV', async (t) => {
  const dir = t.testdir({ 'sim.py': SIM });
  const config = writeConfig(
    dir,
    `name: nonfinite
ensemble_dir: ens
command: [${PYTHON}, sim.py, "{k}"]
inputs: { copy: [sim.py] }
parameters:
  k: { values: [0, 1, 2, 3, 4] }
sampling: { method: grid }
executor: { type: local, workers: 2 }
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /5 done, 0 failed, 0 pending/);
  const ens = join(dir, 'ens');

  const parquet = await rows(`read_parquet('${join(ens, 'dataset.parquet')}')`);
  t.same(parquet, WANT.map((w) => ({ ...w, label: 'VARCHAR', xs: '[1,NaN]' })), 'Parquet: a DOUBLE column holding NaN, inf, -inf; a missing key is null; "NaN" text stays text');

  const csvText = readFileSync(join(ens, 'dataset.csv'), 'utf8');
  t.match(csvText, /\r\n0,0,0,0,0,0,NaN,"\[1,NaN\]",NaN,done,/);
  const csv = await rows(`read_csv('${join(ens, 'dataset.csv')}')`);
  t.same(
    csv.map(({ k, y, type, nan, inf, null: isNull }) => ({ k, y, type, nan, inf, null: isNull })),
    WANT,
    'CSV: DuckDB reads NaN, Infinity and -Infinity back as DOUBLE NaN/inf/-inf, an empty field as null',
  );

  const s = await runCli(['summary', ens, '--json']);
  t.equal(s.exitCode, 0, s.stderr);
  const stats = JSON.parse(s.stdout).groups[0].stats.y;
  t.same(stats, { count: 3, nan: 1, mean: 'NaN', std: 'NaN', sem: 'NaN', min: '-Infinity', max: 'Infinity' }, 'summary: NaN left out and counted apart; ±inf counted');
  const table = await runCli(['summary', ens]);
  t.match(table.stdout, /column\s+count\s+nan\s+mean/);
});

t.test('collect --from: result.json files with NaN and ±Infinity give the same float64 column', async (t) => {
  const dir = t.testdir({ 'sim.py': SIM });
  for (let k = 0; k < 5; k++) {
    mkdirSync(join(dir, 'tree', `run_${k}`), { recursive: true });
    const py = await execa(PYTHON, [join(dir, 'sim.py'), String(k), join(dir, 'tree', `run_${k}`, 'result.json')], { reject: false });
    t.equal(py.exitCode, 0, py.stderr);
  }
  mkdirSync(join(dir, 'tree', 'run_9'));
  writeFileSync(join(dir, 'tree', 'run_9', 'result.json'), '{"k": 9, "y": nan}');
  const out = join(dir, 'out');
  const r = await runCli(['collect', '--from', join(dir, 'tree'), '--pattern', 'run_*/result.json', '--out', out]);
  t.equal(r.exitCode, 3, r.stderr);
  t.match(r.stderr, /bad result: run_9\/result\.json is not valid JSON \(Unexpected token 'a'/, 'lowercase nan is still refused, naming the file');
  const parquet = await rows(`read_parquet('${join(out, 'dataset.parquet')}')`);
  t.same(parquet, WANT.map((w) => ({ ...w, label: 'VARCHAR', xs: '[1,NaN]' })));
  const csv = await rows(`read_csv('${join(out, 'dataset.csv')}')`);
  t.same(csv.map(({ k, y, type, nan, inf, null: isNull }) => ({ k, y, type, nan, inf, null: isNull })), WANT);
});
