// `arrayflow retry <ensemble> --failed [--reason kind]`: run failed tasks once more.
import { type Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { ensembleCommand, int, printSettings, type RunFlags, withProgress } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'retry', 'run failed tasks once more (earlier attempts stay on record); given the config, with its execution settings (timeout, resources, ...)')
    .option('--failed', 'retry failed tasks (required: the one kind of retry there is)')
    .option('--reason <kind>', 'only failures of this kind: timeout, out of memory, node failure, exit code, lost, ...')
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
    .option('--no-progress', 'no progress bar or lines')
    .action(async (target: string, o: RunFlags & { failed?: boolean; reason?: string }) => {
      if (!o.failed) throw new UsageError(`retry needs --failed, e.g. arrayflow retry ${target} --failed [--reason timeout]`);
      const { openTarget } = await import('../../run/plan.js');
      const dir = await openTarget(target, { onSettings: printSettings });
      const { retryEnsemble } = await import('../../run/retry.js');
      await withProgress(o, async (opts) => {
        const r = await retryEnsemble(dir, { reason: o.reason }, opts);
        process.stdout.write(`retried ${r.retried} failed task${r.retried === 1 ? '' : 's'}\n`);
        // a kind that matched nothing: say which kinds the failed tasks have
        if (r.retried === 0 && o.reason !== undefined && r.kinds.size > 0) {
          process.stderr.write(`no failed task is of kind '${o.reason}'; the failed tasks: ${[...r.kinds].map(([k, n]) => `${k} ${n}`).join(', ')}\n`);
        }
        return r;
      });
    });
}
