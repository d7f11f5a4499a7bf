// `arrayflow resume <ensemble>`: continue an ensemble from its directory (re-attach to queued jobs, run what never ran, collect).
import { type Command, Option } from 'commander';
import { ensembleCommand, ensembleDirOf, int, type RunFlags, withProgress } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'resume', 'continue an ensemble from its directory: re-attach to queued jobs, run what never ran, collect')
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--host <login>', 'submit over SSH from this machine (as for run)')
    .option('--no-progress', 'no progress bar or lines')
    .option('--report', 'write <ensemble>/report.html at the end (docs/report.md)')
    .action(async (target: string, o: RunFlags) => {
      const dir = await ensembleDirOf(target);
      const { resumeEnsemble } = await import('../../run/resume.js');
      await withProgress(o, (opts) => resumeEnsemble(dir, opts));
    });
}
