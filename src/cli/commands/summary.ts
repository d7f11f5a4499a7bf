// `arrayflow summary <ensemble> [--by a,b]`: statistics of the numeric results of the done tasks so far.
import type { Command } from 'commander';
import { commaList, ensembleDirOf } from '../shared.js';

export function register(program: Command): void {
  program
    .command('summary')
    .description('count, mean, std, sem, min, max of the numeric results of the done tasks so far, grouped by parameters (or by point: averaged replicates)')
    .argument('<ensemble>', 'ensemble directory or config file (or a directory holding an imported dataset.parquet)')
    .option('--by <columns>', 'comma-separated parameters (or point, replicate, stage, any column) to group by')
    .option('--columns <columns>', 'comma-separated numeric columns to summarize (default: every numeric result)')
    .option('--records', 'compute from the record files even when dataset.parquet is up to date')
    .option('--json', 'machine-readable output')
    .action(async (target: string, o: { by?: string; columns?: string; records?: boolean; json?: boolean }) => {
      const [{ summarizeEnsemble }, { renderSummaryJson, renderSummaryTable }] = await Promise.all([import('../../run/summary.js'), import('../../collect/summary.js')]);
      const s = await summarizeEnsemble(await ensembleDirOf(target), { by: commaList(o.by), columns: commaList(o.columns), fromRecords: o.records });
      if (o.json) {
        process.stdout.write(renderSummaryJson(s));
        return;
      }
      const from = s.source === 'dataset' ? 'dataset.parquet' : `the records: ${s.staleReason}`;
      if (s.name === null) process.stdout.write(`${s.dir}: ${s.total} rows (imported dataset.parquet)\n`);
      else {
        // pending tasks in submitted jobs are queued or running (a Ctrl-C'd controller leaves them in the queue)
        const submitted = s.pending > 0 ? await (await import('../../run/submitted.js')).readSubmitted(s.dir).catch(() => 0) : 0;
        const inQueue = submitted > 0 ? `, ${submitted} of them in submitted jobs (queued or running)` : '';
        process.stdout.write(`${s.name}: ${s.total} tasks: ${s.done} done, ${s.failed} failed, ${s.pending} pending${inQueue} (from ${from})\n`);
      }
      process.stdout.write(s.done + s.failed === 0 ? 'no finished tasks yet\n' : renderSummaryTable(s));
    });
}
