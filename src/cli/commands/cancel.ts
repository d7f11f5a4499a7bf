// `arrayflow cancel <ensemble>`: cancel every array job of an ensemble with one scheduler call.
import type { Command } from 'commander';
import { ensembleCommand, ensembleDirOf } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'cancel', 'cancel every array job of an ensemble (one scancel/qdel); `run` again resumes')
    .action(async (target: string) => {
      const { cancelEnsemble } = await import('../../run/cancel.js');
      const ids = await cancelEnsemble(await ensembleDirOf(target));
      process.stdout.write(ids.length ? `cancelled jobs ${ids.join(', ')}\n` : 'nothing was submitted\n');
    });
}
