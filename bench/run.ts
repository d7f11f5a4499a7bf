// Entry point of `npm run bench -- <name> [options]`: snapshots the build, registers the resolve hook, then runs one benchmark (or all but scheduler).
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from './lib.js';

const BENCHES = ['collect', 'import-peer', 'plan', 'watch', 'local', 'scheduler', 'e2e', 'tail', 'chaos'] as const;
type Bench = (typeof BENCHES)[number];

const USAGE = `usage: npm run bench -- <${BENCHES.join('|')}|all> [options]
  collect    [--sizes 1000,10000,100000] [--repeat 3] [--files 100]
  import-peer [--es <Enchanted Surrogates checkout>] [--sizes 10000] [--repeat 3] [--es-fn default,batch,create] [--python /usr/bin/python3]
             collect --from against the peer's own gathering on its run layout (the peer: see scripts/peers-up.sh)
  plan       [--samples 1000000] [--repeat 3] [--bundle 1]
  watch      [--inotify-samples 400] [--poll-samples 120] [--poll-ms 1000,250] [--files 8]
  local      [--tasks 2000] [--python-tasks 500] [--element-tasks 200] [--workers 2] [--repeat 2]
             [--only true,result,python,element] [--compare <package root of another build>]
  scheduler  [--tasks 1000] [--bundle 10]      (needs the test Slurm: sudo bash scripts/slurm-up.sh)
  e2e        [--only python,trivial,million] [--tasks 1000] [--trivial 20000] [--million 1000000] [--million-peer] [--repeat 1]
             arrayflow at its defaults against a hand-written sbatch --array script (needs the test Slurm)
  tail       [--tasks 64] [--min 0.1] [--max 1] [--order ramp|shuffled] [--repeat 2]   (test Slurm: fixed slices vs claims)
  chaos      [--short] [--seed 1] [--tasks 1000] [--kills 10] [--each 2] [--max-time 0.3]   (also \`npm run chaos\`; test Slurm, as root)
             the ensemble undisturbed, then under seeded faults; checks rows, duplicates, submissions, jobs left; exit 1 if one fails
  all        collect, plan and watch (not scheduler, e2e, tail or chaos: they need Slurm)
  every benchmark takes --dir <path> for its generated inputs (default runs/bench/)
Build first: npm run build. The run uses a snapshot of dist/ taken at its start (ARRAYFLOW_BENCH_ROOT=<dir> to use another build).`;

/**
 * Copies the package as it would be published (package.json and its `files`: dist/, templates/,
 * configs/ ...; node_modules linked) so that a rebuild of the shared tree while a benchmark runs can
 * neither break its child processes and jobs nor mix versions.
 */
async function snapshotBuild(): Promise<{ root: string; remove(): Promise<void> }> {
  if (!existsSync(join(packageRoot, 'dist', 'cli', 'main.js'))) {
    throw new Error(`no build in ${join(packageRoot, 'dist')}: run \`npm run build\` first, then \`npm run bench -- <name>\``);
  }
  const pkg = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { files?: string[] };
  const root = join(packageRoot, 'runs', 'bench', `.build-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await Promise.all([
    ...['package.json', ...(pkg.files ?? ['dist'])].map((f) => cp(join(packageRoot, f), join(root, f), { recursive: true })),
    symlink(join(packageRoot, 'node_modules'), join(root, 'node_modules'), 'dir'),
  ]);
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  const names: Bench[] = name === 'all' ? ['collect', 'plan', 'watch'] : BENCHES.includes(name as Bench) ? [name as Bench] : [];
  if (names.length === 0) {
    console.error(name === undefined || name === '--help' ? USAGE : `unknown benchmark '${name}'\n${USAGE}`);
    process.exitCode = name === undefined || name === '--help' ? 0 : 2;
    return;
  }
  // child processes inherit ARRAYFLOW_BENCH_ROOT: the whole run uses one build
  let snapshot: Awaited<ReturnType<typeof snapshotBuild>> | null = null;
  if (process.env.ARRAYFLOW_BENCH_ROOT === undefined) {
    snapshot = await snapshotBuild();
    process.env.ARRAYFLOW_BENCH_ROOT = snapshot.root;
  }
  const root = process.env.ARRAYFLOW_BENCH_ROOT;
  // plans made by a benchmark point their jobs' task wrapper at the same build
  process.env.ARRAYFLOW_BIN = join(root, 'dist', 'cli', 'main.js');
  register('./resolve-dist.js', { parentURL: import.meta.url, data: { dist: pathToFileURL(join(root, 'dist') + '/').href } });
  try {
    for (const n of names) {
      const mod = (await import(`./${n}.js`)) as { main(argv: string[]): Promise<void> };
      await mod.main(rest);
      if (names.length > 1) console.log('');
    }
  } finally {
    await snapshot?.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
