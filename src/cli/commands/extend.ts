// `arrayflow extend <ensemble> --budget N | --replicates R`: more samples continuing the design, or more replicates of every point; only the new tasks run.
import { type Command, Option } from 'commander';
import { ensembleCommand, ensembleDirOf, int, type RunFlags, withProgress } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'extend', 'add samples to the design (the sequence continues) or replicates to every point, run only the new tasks, grow the dataset')
    .option('--budget <n>', 'the new total number of samples (design points, as sampling.samples counts them), each with all its replicates', int)
    .option('--replicates <r>', 'the new number of replicates of every point (new tasks, new task seeds)', int)
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--no-progress', 'no progress bar or lines')
    .action(async (target: string, o: RunFlags & { budget?: number; replicates?: number }) => {
      const dir = await ensembleDirOf(target);
      const { extendEnsemble } = await import('../../run/extend.js');
      await withProgress(o, (opts) => extendEnsemble(dir, { budget: o.budget, replicates: o.replicates }, opts));
    });
}
