// `arrayflow reproduce <ensemble> <task>`: one task rebuilt in a directory of its own and run here in the foreground (or printed).
import { type Command, Option } from 'commander';
import { ensembleCommand, ensembleDirOf, int } from '../shared.js';

/** The exit status of a reproduced task its time limit stopped: GNU timeout(1)'s, not the 143 of the SIGTERM that stopped it. */
const TIMED_OUT_STATUS = 124;

interface ReproduceFlags {
  dir?: string;
  stage?: string;
  attempt?: number;
  print?: boolean;
  timeout: boolean;
}

export function register(program: Command): void {
  ensembleCommand(program, 'reproduce', "rebuild one task's scratch (inputs, params.json, environment, argv, seed) in a directory of its own and run it here in the foreground; writes nothing into the ensemble")
    .argument('<task>', 'task id (of the stage, with --stage)', int)
    .option('--dir <dir>', 'build it in this directory (new or empty; default: a new one under the temp dir, kept)')
    .option('--stage <name>', 'the stage of a multi-stage ensemble the task belongs to')
    .addOption(new Option('--attempt <n>', 'the attempt number it runs as (default: its last recorded attempt, else 1)').argParser(int))
    .option('--print', 'build the directory and print the command line and environment, shell-quoted, to paste; run nothing')
    .option('--no-timeout', 'run without the task time limit of the config')
    .addHelpText(
      'after',
      `\nExit status: the task's own (128 + n when killed by signal n, 127 when it cannot start); ${TIMED_OUT_STATUS} when its time limit stopped it (as timeout(1)); 2 for a usage error, 1 for anything else.`,
    )
    .action(async (target: string, task: number, o: ReproduceFlags) => {
      const dir = await ensembleDirOf(target);
      const { prepareReproduction, renderReproduction, runReproduction } = await import('../../run/reproduce.js');
      const r = await prepareReproduction(dir, task, { dir: o.dir, stage: o.stage, attempt: o.attempt });
      if (o.print) {
        process.stdout.write(renderReproduction(r));
        return;
      }
      process.stderr.write(`arrayflow: task ${r.task} (attempt ${r.attempt}, task_seed ${r.seed}) in ${r.dir}: ${r.argv.join(' ')}\n`);
      const abort = new AbortController();
      process.on('SIGINT', () => abort.abort());
      const outcome = await runReproduction(r, { signal: abort.signal, ...(o.timeout ? {} : { timeout: 0 }) });
      if (outcome.timedOut) {
        const again = r.recordedReason?.startsWith('timeout') ? ' again' : '';
        process.stderr.write(
          `arrayflow: task ${r.task} timed out${again} after ${r.timeout} s (its time limit, ${r.timeKey}) and was stopped; ` +
            `exit status ${TIMED_OUT_STATUS}; its files are in ${r.dir}; \`arrayflow reproduce ${target} ${r.task}${o.stage ? ` --stage ${o.stage}` : ''} --no-timeout\` runs it without the limit\n`,
        );
        process.exitCode = TIMED_OUT_STATUS;
        return;
      }
      process.stderr.write(`arrayflow: task ${r.task}: ${outcome.reason ?? 'exited 0'}; its files are in ${r.dir}\n`);
      process.exitCode = outcome.exitCode;
    });
}
