// The package as users get it: `npm pack` this repo, install the tarball into a fresh project, type-check
// `import { run, type RunOptions } from 'arrayflow'` and run an ensemble through it. Never skips: a failing npm fails the test.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { packageRoot } from '../src/util/paths.js';

// The consumer project: a module that must type-check (with two errors it must report), and a script that runs.
const indexTs = `import { run, type RunOptions, type RunResult, ConfigError } from 'arrayflow';

const options: RunOptions = { baseDir: '.', workers: 2, onProgress: (p) => void p.done };
const r: RunResult = await run({ name: 'typed', command: ['node', 'sim.mjs', '{x}'], parameters: { x: { values: [1, 2] } }, sampling: { method: 'grid' } }, options);
const parquet: string = r.dataset.parquet;
const counts: number = r.total + r.done + r.failed + r.pending;
// @ts-expect-error the result is typed, not any
r.nonexistent;
// @ts-expect-error a misspelt config key is caught at compile time
await run({ name: 'typo', comand: ['node'] });
export { parquet, counts, ConfigError };
`;

const runMjs = `import { run } from 'arrayflow';
const result = await run({
  name: 'packed',
  ensemble_dir: 'ens',
  command: ['node', 'sim.mjs', '{x}'],
  inputs: { copy: ['sim.mjs'] },
  parameters: { x: { values: [1, 2, 3, 4] } },
  sampling: { method: 'grid' },
  executor: { type: 'local', workers: 2 },
});
process.stdout.write(JSON.stringify(result));
`;

// x = 3 fails (exit 2), the others write y = x * x
const simMjs = `import { writeFileSync } from 'node:fs';
const x = Number(process.argv[2]);
if (x === 3) process.exit(2);
writeFileSync('result.json', JSON.stringify({ y: x * x }));
`;

const tsconfig = {
  compilerOptions: {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    strict: true,
    noEmit: true,
    // third-party declarations (apache-arrow's) are not ours to check; ours are proven by the @ts-expect-error lines
    skipLibCheck: true,
    // a Node project has @types/node; the temp project borrows this repo's
    typeRoots: [join(packageRoot, 'node_modules', '@types')],
    types: ['node'],
  },
  files: ['index.ts'],
};

t.test('the packed tarball installs, type-checks and runs an ensemble through `import { run } from "arrayflow"`', async (t) => {
  t.setTimeout(180_000);
  t.ok(existsSync(join(packageRoot, 'dist', 'index.js')) && existsSync(join(packageRoot, 'dist', 'index.d.ts')), 'dist/ is built (npm test builds before tap)');
  const dir = t.testdir({
    packs: {},
    proj: {
      'package.json': JSON.stringify({ type: 'module' }),
      'index.ts': indexTs,
      'run.mjs': runMjs,
      'sim.mjs': simMjs,
      'tsconfig.json': JSON.stringify(tsconfig, null, 2),
    },
  });
  const proj = join(dir, 'proj');
  // tap's loader stays out of the consumer's processes; the workers must run the installed CLI, not ours
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.ARRAYFLOW_BIN;
  const step = async (what: string, file: string, args: string[], cwd: string) => {
    const t0 = Date.now();
    const r = await execa(file, args, { cwd, env, extendEnv: false, reject: false, stdin: 'ignore' });
    t.comment(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    if (r.exitCode !== 0 || r.failed) {
      throw new Error(`${what} (${[file, ...args].join(' ')} in ${cwd}) failed with exit code ${r.exitCode}:\n${r.stdout}\n${r.stderr}`);
    }
    return r;
  };

  const packed = await step('npm pack', 'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', join(dir, 'packs')], packageRoot);
  const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = files.map((f) => f.path);
  for (const need of ['dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js', 'configs/arrayflow.schema.json', 'templates/slurm/array.sbatch.mustache']) {
    t.ok(paths.includes(need), `the tarball holds ${need}`);
  }
  t.notOk(paths.some((p) => p.startsWith('src/') || p.startsWith('test/')), 'no sources or tests in the tarball');

  // the npm cache is warm after `npm ci`; no install scripts (ssh2's optional native crypto build) and no optional
  // packages: arrayflow needs neither, and they double the install time
  const install = ['install', join(dir, 'packs', filename), '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional'];
  await step('npm install', 'npm', install, proj);
  await step('tsc', process.execPath, [join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.'], proj);

  const ran = await step('run.mjs', process.execPath, ['run.mjs'], proj);
  t.equal(ran.stderr, '', 'the library printed nothing on stderr');
  const result = JSON.parse(ran.stdout) as Record<string, unknown>;
  const ens = join(proj, 'ens');
  t.strictSame(result, {
    ensembleDir: ens,
    total: 4,
    done: 3,
    failed: 1,
    pending: 0,
    cancelled: 0,
    dataset: { parquet: join(ens, 'dataset.parquet'), csv: join(ens, 'dataset.csv') },
    badLines: 0,
  }, 'stdout holds only the result the script printed');
  t.ok(existsSync(join(ens, 'dataset.parquet')), 'dataset.parquet exists');

  const bin = await step('arrayflow --version', process.execPath, [join(proj, 'node_modules', '.bin', 'arrayflow'), '--version'], proj);
  t.match(bin.stdout.trim(), /^\d+\.\d+\.\d+/, 'the installed bin runs');
});
