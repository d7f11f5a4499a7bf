// `arrayflow task` (hidden): the node runner inside every array element and local worker; loads only the node side.
import { type Command, Option } from 'commander';
import { UsageError } from '../../errors.js';
import { int } from '../shared.js';

interface TaskOptions {
  worker?: boolean;
  writer?: string;
  index?: number;
  indexFrom?: string;
  offset: number;
  attempt: number;
  jobIdFrom?: string;
  tasksFile?: string;
  bundle?: number;
  claims?: string;
  elements?: number;
}

export function register(program: Command): void {
  program
    .command('task', { hidden: true })
    .description('run tasks on this node (used by the executors; not for people)')
    .argument('<ensemble>', 'ensemble directory')
    .option('--worker', 'read work items from stdin (local executor)')
    .option('--writer <name>', 'record file name (worker mode)')
    .addOption(new Option('--index <i>', 'array index within the chunk').argParser(int))
    .option('--index-from <vars>', 'read the array index from the first set variable of this comma list')
    .addOption(new Option('--offset <n>', 'element offset of the chunk').argParser(int).default(0))
    .addOption(new Option('--attempt <n>', 'attempt number').argParser(int).default(1))
    .option('--job-id-from <vars>', 'array job id variable(s); the element job id is <value>_<index>')
    .option('--tasks-file <file>', 'run the task ids listed in this JSON file (a resubmission)')
    .addOption(new Option('--bundle <n>', "tasks per element of the listed submission (default: the plan's bundle)").argParser(int))
    .option('--claims <label>', "claim tasks under claims/<label>/ and steal the siblings' unclaimed ones (needs --elements)")
    .addOption(new Option('--elements <n>', 'array elements of the submission (with --claims)').argParser(int))
    .action(async (dir: string, o: TaskOptions) => {
      const { indexFromEnv, jobIdFromEnv, runElement, runWorker } = await import('../../node/main.js');
      if (o.worker) {
        process.exitCode = await runWorker(dir, o.writer ?? `local-pid${process.pid}`);
        return;
      }
      const index = o.index ?? (o.indexFrom ? indexFromEnv(o.indexFrom.split(',')) : undefined);
      if (index === undefined) throw new UsageError('task needs --worker, --index or --index-from');
      const jobId = o.jobIdFrom ? jobIdFromEnv(o.jobIdFrom.split(','), index) : null;
      if ((o.claims === undefined) !== (o.elements === undefined)) throw new UsageError('task: --claims and --elements go together');
      const claims = o.claims !== undefined ? { label: o.claims, elements: o.elements as number } : undefined;
      process.exitCode = await runElement(dir, { index, offset: o.offset, attempt: o.attempt, jobId, tasksFile: o.tasksFile, claims, ...(o.bundle === undefined ? {} : { bundle: o.bundle }) });
    });
}
