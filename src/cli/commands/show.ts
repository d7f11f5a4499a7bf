// `arrayflow show <ensemble>`: provenance (the manifest) plus the hosts and jobs that ran tasks, as JSON.
import type { Command } from 'commander';
import { ensembleCommand, ensembleDirOf } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'show', 'provenance: the manifest (config hash, seeds, versions, git commit), hosts and jobs that ran tasks')
    .action(async (target: string) => {
      const { showEnsemble } = await import('../../run/show.js');
      process.stdout.write(JSON.stringify(await showEnsemble(await ensembleDirOf(target)), null, 2) + '\n');
    });
}
