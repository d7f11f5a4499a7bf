// `arrayflow collect`: rebuild the dataset from the records, keep it current with --follow, or import a results tree with --from.
import type { Command } from 'commander';
import { DEFAULT_DATASET, type DatasetFormat } from '../../config/types.js';
import { UsageError } from '../../errors.js';
import { datasetPaths, ensembleDirOf, exitStatus, formatList, writeReportFor } from '../shared.js';

interface ImportCliOptions {
  from?: string;
  pattern?: string;
  out?: string;
  format?: DatasetFormat[];
}

/** `collect --from DIR --pattern GLOB`: exit 0 when every matched file gave a row, 3 when some were bad. */
async function collectFrom(target: string | undefined, o: ImportCliOptions): Promise<void> {
  if (target !== undefined || o.from === undefined || o.pattern === undefined) {
    throw new UsageError(`collect --from takes no ensemble and needs both --from DIR and --pattern GLOB, e.g. collect --from runs/ --pattern 'run_*/result.json'`);
  }
  const { importResults } = await import('../../collect/import.js');
  const dataset = o.format ? { ...DEFAULT_DATASET, formats: o.format } : undefined;
  const r = await importResults(o.from, { pattern: o.pattern, outDir: o.out, dataset });
  process.stdout.write(`${r.rows} rows from ${r.matched} files\n${datasetPaths(r).join('\n')}\n`);
  if (r.problems.length === 0) return;
  const shown = 20;
  for (const p of r.problems.slice(0, shown)) process.stderr.write(`${p.reason}\n`);
  if (r.problems.length > shown) process.stderr.write(`... and ${r.problems.length - shown} more\n`);
  process.stderr.write(`warning: ${r.problems.length} of ${r.matched} files gave no row; all are listed in ${r.errors}\n`);
  process.exitCode = 3;
}

export function register(program: Command): void {
  program
    .command('collect')
    .description('(re)build dataset.parquet (and .csv, .h5: the config\'s dataset.formats) from the task records (or, with --from, from a results tree)')
    .argument('[ensemble]', 'ensemble directory or config file')
    .option('--from <dir>', 'import a results tree left by another tool instead (docs/import.md)')
    .option('--pattern <glob>', "with --from: the result files, e.g. 'run_*/result.json'")
    .option('--out <dir>', 'with --from: where the dataset goes (default: the --from directory)')
    .option('--format <list>', 'the dataset files to write this time instead of the config\'s dataset.formats: parquet,csv,hdf5 (parquet always among them)', formatList)
    .option('--follow', 'keep dataset/ current while the ensemble runs; compact when every task has its final row (docs/watching.md)')
    .option('--report', 'also write <ensemble>/report.html (docs/report.md)')
    .action(async (target: string | undefined, o: ImportCliOptions & { follow?: boolean; report?: boolean }) => {
      if (o.from !== undefined || o.pattern !== undefined || o.out !== undefined) {
        if (o.report) throw new UsageError('collect --from takes no --report: an imported results tree has no records or plan to report on');
        return collectFrom(target, o);
      }
      if (target === undefined) throw new UsageError('collect needs an ensemble directory or config file (or --from DIR --pattern GLOB)');
      const dir = await ensembleDirOf(target);
      if (o.follow) {
        if (o.format) throw new UsageError('collect --follow takes no --format: it writes the config\'s dataset.formats when it compacts; run `collect --format` afterwards');
        return (await import('../follow.js')).collectFollow(dir);
      }
      const { collectEnsembleDir } = await import('../../run/collect.js');
      const r = await collectEnsembleDir(dir, { formats: o.format });
      process.stdout.write(`${r.done + r.failed} rows (${r.done} done, ${r.failed} failed, ${r.pending} pending)\n${datasetPaths(r).join('\n')}\n`);
      if (r.badLines > 0) process.stderr.write(`warning: ${r.badLines} malformed record lines skipped\n`);
      if (o.report) await writeReportFor(dir);
      process.exitCode = exitStatus(r);
    });
}
