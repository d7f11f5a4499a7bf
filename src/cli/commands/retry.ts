// `arrayflow retry <ensemble> --failed [--reason kind]`: run failed tasks once more.
import { type Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { ensembleCommand, ensembleDirOf, int, type RunFlags, withProgress } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'retry', 'run failed tasks once more (earlier attempts stay in the journal and the record files)')
    .option('--failed', 'retry failed tasks (required: the one kind of retry there is)')
    .option('--reason <kind>', 'only failures of this kind: timeout, out of memory, node failure, exit code, lost, ...')
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--no-progress', 'no progress bar or lines')
    .action(async (target: string, o: RunFlags & { failed?: boolean; reason?: string }) => {
      if (!o.failed) throw new UsageError(`retry needs --failed, e.g. arrayflow retry ${target} --failed [--reason timeout]`);
      const dir = await ensembleDirOf(target);
      const { retryEnsemble } = await import('../../run/retry.js');
      await withProgress(o, async (opts) => {
        const r = await retryEnsemble(dir, { reason: o.reason }, opts);
        process.stdout.write(`retried ${r.retried} failed task${r.retried === 1 ? '' : 's'}\n`);
        return r;
      });
    });
}
