// `arrayflow plan <config> [--dry-run]`: write the ensemble directory, or print the array scripts it would submit.
import { type Command, Option } from 'commander';
import { EXECUTOR_TYPES, type ExecutorType } from '../../config/types.js';
import { printSettings } from '../shared.js';

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
        const submissions = `${d.scripts.length} submission${d.scripts.length === 1 ? '' : 's'}`;
        process.stdout.write(`${d.tasks} tasks in ${d.elements} array elements; ${d.executor === 'local' ? 'local executor: nothing to submit' : submissions}\n`);
        return;
      }
      for (const { layout, plan, created } of await planEnsemble(configPath, { onSettings: printSettings })) {
        process.stdout.write(`${created ? 'planned' : 'already planned'}: ${plan.tasks} tasks in ${layout.root}\n`);
      }
    });
}
