// `arrayflow extend <ensemble> --budget N`: add samples continuing the design and run only the new tasks.
import { type Command, Option } from 'commander';
import { type RunFlags, ensembleDirOf, int, withProgress } from '../shared.js';

export function register(program: Command): void {
  program
    .command('extend')
    .description('add samples to the design (the sequence continues), run only the new tasks, grow the dataset')
    .argument('<ensemble>', 'ensemble directory or config file')
    .requiredOption('--budget <n>', 'number of samples to add', int)
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--no-progress', 'no progress bar or lines')
    .action(async (target: string, o: RunFlags & { budget: number }) => {
      const dir = await ensembleDirOf(target);
      const { extendEnsemble } = await import('../../run/extend.js');
      await withProgress(o, (opts) => extendEnsemble(dir, o.budget, opts));
    });
}
