// `arrayflow run <config>`: plan (or re-open) the ensemble, run every pending task with the configured executor, collect the dataset.
import { type Command, Option } from 'commander';
import { EXECUTOR_TYPES } from '../../config/types.js';
import { type RunFlags, int, withProgress } from '../shared.js';

export function register(program: Command): void {
  program
    .command('run')
    .description('plan, run every pending task with the executor of the config (or --executor), and collect the dataset (resumes an existing ensemble)')
    .argument('<config>', 'config file (YAML)')
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks (default: executor.workers or the number of cores)').argParser(int))
    .addOption(new Option('-e, --executor <type>', 'override executor.type').choices(EXECUTOR_TYPES))
    .option('--host <login>', 'submit over SSH from this machine: user@host[:port] or an ssh_config alias (needs executor.remote.dir; docs/ssh.md)')
    .option('--no-progress', 'no progress bar or lines')
    .action(async (configPath: string, o: RunFlags) => {
      const { runEnsemble } = await import('../../run/run.js');
      await withProgress(o, (opts) => runEnsemble(configPath, { ...opts, executor: o.executor }));
    });
}
