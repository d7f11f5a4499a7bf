// `arrayflow cancel <ensemble>`: cancel every array job of an ensemble with one scheduler call.
import type { Command } from 'commander';
import { ensembleCommand, ensembleDirOf } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'cancel', 'cancel every array job of an ensemble (one scancel/qdel); `retry --failed --reason cancelled` runs the cancelled tasks again')
    .action(async (target: string) => {
      const { cancelEnsemble } = await import('../../run/cancel.js');
      const dir = await ensembleDirOf(target);
      const ids = await cancelEnsemble(dir);
      if (ids.length === 0) return void process.stdout.write('nothing was submitted\n');
      process.stdout.write(
        `cancelled jobs ${ids.join(', ')}\n` +
          `a running controller records their unfinished tasks as cancelled (otherwise \`arrayflow resume ${dir}\` does); ` +
          `then \`arrayflow retry ${dir} --failed --reason cancelled\` runs them again\n`,
      );
    });
}
