// `arrayflow report <ensemble> [--x a,b] [--y c]`: write <ensemble>/report.html, one self-contained page of charts and tables.
import type { Command } from 'commander';
import { commaList, ensembleCommand, ensembleDirOf, writeReportFor } from '../shared.js';

export function register(program: Command): void {
  ensembleCommand(program, 'report', 'write <ensemble>/report.html: progress, status, durations, failures, stages, array jobs and results against parameters (docs/report.md)')
    .option('--x <columns>', 'comma-separated columns for the x axis of the results charts (default: the first numeric parameter)')
    .option('--y <columns>', 'comma-separated columns for the y axis (default: the first numeric result); one chart per x, y pair')
    .action(async (target: string, o: { x?: string; y?: string }) => {
      await writeReportFor(await ensembleDirOf(target), { x: commaList(o.x), y: commaList(o.y) });
    });
}
