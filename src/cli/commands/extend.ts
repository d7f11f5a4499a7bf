// `arrayflow extend <ensemble> --budget N`: add samples continuing the design and run only the new tasks.
import { type Command, Option } from 'commander';
import { ensembleCommand, ensembleDirOf, int, type RunFlags, withProgress } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'extend', 'add samples to the design (the sequence continues), run only the new tasks, grow the dataset')
    .requiredOption('--budget <n>', 'number of samples to add', int)
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--no-progress', 'no progress bar or lines')
    .action(async (target: string, o: RunFlags & { budget: number }) => {
      const dir = await ensembleDirOf(target);
      const { extendEnsemble } = await import('../../run/extend.js');
      await withProgress(o, (opts) => extendEnsemble(dir, o.budget, opts));
    });
}
