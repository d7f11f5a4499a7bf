// `arrayflow resume <ensemble>`: continue an ensemble from its directory (re-attach to queued jobs, run what never ran, collect).
import { type Command, Option } from 'commander';
import { ensembleCommand, int, printSettings, type RunFlags, withProgress } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'resume', 'continue an ensemble: re-attach to queued jobs, run what never ran, collect (given its config: with the config\'s execution settings)')
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--host <login>', 'submit over SSH from this machine (as for run)')
    .option('--no-progress', 'no progress bar or lines')
    .option('--report', 'write <ensemble>/report.html at the end (docs/report.md)')
    .action(async (target: string, o: RunFlags) => {
      const { openTarget } = await import('../../run/plan.js');
      const dir = await openTarget(target, { onSettings: printSettings });
      const { resumeEnsemble } = await import('../../run/resume.js');
      await withProgress(o, (opts) => resumeEnsemble(dir, opts));
    });
}
