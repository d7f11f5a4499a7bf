// `arrayflow resume <ensemble>`: continue an ensemble from its directory (re-attach to queued jobs, run what never ran, collect).
import { type Command, Option } from 'commander';
import { type RunFlags, ensembleDirOf, int, withProgress } from '../shared.js';

export function register(program: Command): void {
  program
    .command('resume')
    .description('continue an ensemble from its directory: re-attach to queued jobs, run what never ran, collect')
    .argument('<ensemble>', 'ensemble directory or config file')
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--host <login>', 'submit over SSH from this machine (as for run)')
    .option('--no-progress', 'no progress bar or lines')
    .action(async (target: string, o: RunFlags) => {
      const dir = await ensembleDirOf(target);
      const { resumeEnsemble } = await import('../../run/resume.js');
      await withProgress(o, (opts) => resumeEnsemble(dir, opts));
    });
}
