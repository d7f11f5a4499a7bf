// `arrayflow plan <config> [--dry-run]`: write the ensemble directory, or print the array scripts it would submit.
import { type Command, Option } from 'commander';
import { EXECUTOR_TYPES, type ExecutorType } from '../../config/types.js';
import type { DryRun } from '../../run/plan.js';
import { printSettings } from '../shared.js';

/** The last line of `plan --dry-run`: the tasks, their elements and the submissions (a probe's first, the rest later). */
export function dryRunTotals(d: DryRun): string {
  if (d.executor === 'local') return `${d.tasks} tasks in ${d.elements} array elements; local executor: nothing to submit`;
  const submissions = `${d.scripts.length} submission${d.scripts.length === 1 ? '' : 's'}`;
  // a probe's scripts are the probe's: the tasks it holds back are bundled by the time it measures, then submitted
  const held = d.bundles.reduce((n, b) => n + (b.probe === undefined ? 0 : b.tasks - b.probe), 0);
  if (held === 0) return `${d.tasks} tasks in ${d.elements} array elements; ${submissions}`;
  return `${d.tasks} tasks; ${submissions} now, the probe's; the other ${held} tasks are bundled and submitted once it has measured their time`;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('expand the config into tasks and write the ensemble directory')
    .argument('<config>', 'config file (YAML)')
    .option('--dry-run', 'print the array scripts and the number of submissions; write and submit nothing')
    .addOption(new Option('-e, --executor <type>', 'override executor.type').choices(EXECUTOR_TYPES))
    .action(async (configPath: string, o: { dryRun?: boolean; executor?: ExecutorType }) => {
      const { dryRunPlan, planEnsemble } = await import('../../run/plan.js');
      if (o.dryRun) {
        const d = await dryRunPlan(configPath, { executor: o.executor });
        if (d.limitsNote) process.stderr.write(`warning: ${d.limitsNote}\n`);
        for (const s of d.scripts) process.stdout.write(`# ---- chunk ${s.label} ----\n${s.script}\n`);
        for (const b of d.bundles) process.stdout.write(`${b.stage ? `stage ${b.stage}: ` : ''}bundle ${b.bundle} (${b.tasks} tasks in ${b.elements} elements): ${b.reason}\n`);
        process.stdout.write(`${dryRunTotals(d)}\n`);
        return;
      }
      for (const { layout, plan, created } of await planEnsemble(configPath, { onSettings: printSettings })) {
        process.stdout.write(`${created ? 'planned' : 'already planned'}: ${plan.tasks} tasks in ${layout.root}\n`);
      }
    });
}
