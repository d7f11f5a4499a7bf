// Entry point of `npm run bench -- <name> [options]`: registers the dist/ resolve hook, then runs one benchmark (or all but scheduler).
import { register } from 'node:module';
import { checkBuilt } from './resolve-dist.js';

const BENCHES = ['collect', 'plan', 'watch', 'scheduler'] as const;
type Bench = (typeof BENCHES)[number];

const USAGE = `usage: npm run bench -- <${BENCHES.join('|')}|all> [options]
  collect    [--sizes 1000,10000,100000] [--repeat 3] [--files 100]
  plan       [--samples 1000000] [--repeat 3] [--bundle 1]
  watch      [--samples 400] [--poll-samples 120] [--poll-ms 1000,250] [--files 8]
  scheduler  [--tasks 1000] [--bundle 10]      (needs the test Slurm: sudo bash scripts/slurm-up.sh)
  all        collect, plan and watch (not scheduler: it needs Slurm)
  every benchmark takes --dir <path> for its generated inputs (default runs/bench/)
Build first: npm run build`;

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  checkBuilt();
  register('./resolve-dist.js', import.meta.url);
  const names: Bench[] = name === 'all' ? ['collect', 'plan', 'watch'] : BENCHES.includes(name as Bench) ? [name as Bench] : [];
  if (names.length === 0) {
    console.error(name === undefined || name === '--help' ? USAGE : `unknown benchmark '${name}'\n${USAGE}`);
    process.exitCode = name === undefined || name === '--help' ? 0 : 2;
    return;
  }
  for (const n of names) {
    const mod = (await import(`./${n}.js`)) as { main(argv: string[]): Promise<void> };
    await mod.main(rest);
    if (names.length > 1) console.log('');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
});
