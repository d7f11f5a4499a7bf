#!/usr/bin/env node
// The arrayflow command line: thin commands over the library; the only place that prints or exits.
import { readFile, stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { ArrayflowError, ConfigError } from '../errors.js';
import type { ExecutorType } from '../config/types.js';
import type { RunOptions, RunResult } from '../controller.js';
import { toolVersion } from '../util/paths.js';

// Commands load their modules on demand: `arrayflow task`, run once per array element on compute nodes,
// must not pay for Arrow, Parquet, ajv or ssh at start-up.
const controller = () => import('../controller.js');
const readConfig = async (path: string) => (await import('../config/load.js')).readConfig(path);
const readPlan = async (dir: string) => (await import('../plan/read.js')).readPlan(dir);

interface RunFlags {
  workers?: number;
  executor?: ExecutorType;
  host?: string;
  progress: boolean;
}

/** Runs `fn` with Ctrl-C handling and a progress display, then prints the outcome. */
async function withProgress(o: RunFlags, fn: (opts: RunOptions) => Promise<RunResult>): Promise<void> {
  const abort = new AbortController();
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\ninterrupted: finishing the running tasks (Ctrl-C again to abandon them; `resume` continues)\n');
    abort.abort();
  });
  const { progressReporter } = await import('./progress.js');
  const progress = o.progress ? progressReporter(process.stderr) : null;
  const result = await fn({
    workers: o.workers,
    ...(o.host ? { host: o.host } : {}),
    signal: abort.signal,
    onRemote: (r) =>
      process.stdout.write(
        `cluster copy ${r.host}:${r.root}: ${r.upload.sent} files sent, ${r.upload.kept} unchanged${r.shipped ? ' (arrayflow shipped into .arrayflow/)' : ''}\n`,
      ),
    onAdaptive: (a) => process.stdout.write(`adaptive round ${a.round}: ${a.points} new points (${a.tasks}/${a.budget} tasks)\n`),
    onSubmit: (s) => process.stdout.write(`submitted ${s.label}: job ${s.jobId} (${s.count} array elements, attempt ${s.attempt})\n`),
    onPlanned: (p) => process.stdout.write(`${p.created ? 'planned' : 'resuming'} ${p.tasks} tasks in ${p.ensembleDir}; ${p.toRun} to run\n`),
    onProgress: (p) => progress?.update(p),
  });
  progress?.stop();
  process.stdout.write(
    `${result.done} done, ${result.failed} failed, ${result.pending} pending\n` +
      `dataset: ${result.parquet}\n         ${result.csv}\n` +
      (result.failed > 0 ? `failures: arrayflow status ${result.ensembleDir} --failed\n` : ''),
  );
  if (result.done > 0) {
    // a first look at the results, read back from dataset.parquet (arrayflow summary --by for more); by stage for stages
    const { readEnsembleSummary, renderSummaryTable } = await import('../collect/summary.js');
    const by = (await (await import('../stages.js')).readStages(result.ensembleDir)) ? ['stage'] : [];
    process.stdout.write(`summary of the done tasks (arrayflow summary ${result.ensembleDir} --by <params> for groups):\n`);
    process.stdout.write(renderSummaryTable(await readEnsembleSummary(result.ensembleDir, { by })));
  }
  if (abort.signal.aborted) process.exitCode = 130;
}

/** A positional that is either an ensemble directory or a config file (whose ensemble_dir is used). */
async function ensembleDirOf(target: string): Promise<string> {
  const st = await stat(target).catch(() => null);
  if (st?.isDirectory()) return target;
  return (await readConfig(target)).ensemble_dir;
}

const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new ArrayflowError('E_USAGE', `expected a whole number, got '${v}'`);
  return n;
};

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in the config.\n`);
    process.exit(2);
  }
  if (err instanceof ArrayflowError) {
    process.stderr.write(`arrayflow: ${err.message}\n`);
    process.exit(err.code === 'E_USAGE' ? 2 : 1);
  }
  const e = err as Error;
  process.stderr.write(`arrayflow: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.ARRAYFLOW_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write('(set ARRAYFLOW_DEBUG=1 for the stack trace, and please report it)\n');
  process.exit(1);
}

const program = new Command()
  .name('arrayflow')
  .description('Run ensembles of simulations as array jobs (or locally) and get one dataset back.')
  .version(toolVersion())
  .showHelpAfterError();

program
  .command('validate')
  .description('check a config file against the schema and the cross-field rules')
  .argument('<config>', 'config file (YAML)')
  .action(async (configPath: string) => {
    const config = await readConfig(configPath);
    const describe = (c: typeof config) => `${Object.keys(c.parameters).length} parameters, sampling ${c.sampling.method}`;
    const what = config.stages
      ? `${config.stages.length} stages: ${config.stages
          .map((st) => {
            const after = st.stage?.after;
            if (!after) return `${st.stage?.name} (${describe(st)})`;
            return `${st.stage?.name} (${Object.keys(st.parameters).length === 0 ? `one task per row of ${after}` : `each row of ${after} x ${describe(st)}`})`;
          })
          .join(', ')}`
      : describe(config);
    process.stdout.write(`${configPath}: ok (${what})\n`);
  });

program
  .command('plan')
  .description('expand the config into tasks and write the ensemble directory')
  .argument('<config>', 'config file (YAML)')
  .option('--dry-run', 'print the array scripts and the number of submissions; write and submit nothing')
  .addOption(new Option('-e, --executor <type>', 'override executor.type').choices(['local', 'slurm', 'pbs']))
  .action(async (configPath: string, o: { dryRun?: boolean; executor?: ExecutorType }) => {
    if (o.dryRun) {
      const d = await (await controller()).dryRunPlan(configPath, { executor: o.executor });
      if (d.limitsNote) process.stderr.write(`warning: ${d.limitsNote}\n`);
      for (const s of d.scripts) process.stdout.write(`# ---- chunk ${s.label} ----\n${s.script}\n`);
      process.stdout.write(
        `${d.tasks} tasks in ${d.elements} array elements; ${d.executor === 'local' ? 'local executor: nothing to submit' : `${d.scripts.length} submission${d.scripts.length === 1 ? '' : 's'}`}\n`,
      );
      return;
    }
    const config = await readConfig(configPath);
    const text = await readFile(configPath, 'utf8');
    const planned = config.stages
      ? await (await import('../stages.js')).planStages(config, text)
      : [await (await import('../plan/write.js')).writePlan(config, text)];
    for (const { layout, plan, created } of planned) process.stdout.write(`${created ? 'planned' : 'already planned'}: ${plan.tasks} tasks in ${layout.root}\n`);
  });

program
  .command('run')
  .description('plan, run every pending task on the local executor, and collect the dataset (resumes an existing ensemble)')
  .argument('<config>', 'config file (YAML)')
  .addOption(new Option('-w, --workers <n>', 'concurrent tasks (default: executor.workers or the number of cores)').argParser(int))
  .addOption(new Option('-e, --executor <type>', 'override executor.type').choices(['local', 'slurm', 'pbs']))
  .option('--host <login>', 'submit over SSH from this machine: user@host[:port] or an ssh_config alias (needs executor.remote.dir; docs/ssh.md)')
  .option('--no-progress', 'no progress bar or lines')
  .action(async (configPath: string, o: RunFlags) => {
    await withProgress(o, async (opts) => (await controller()).runEnsemble(configPath, { ...opts, executor: o.executor }));
  });

program
  .command('resume')
  .description('continue an ensemble from its directory: re-attach to queued jobs, run what never ran, collect')
  .argument('<ensemble>', 'ensemble directory or config file')
  .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
  .option('--host <login>', 'submit over SSH from this machine (as for run)')
  .option('--no-progress', 'no progress bar or lines')
  .action(async (target: string, o: RunFlags) => {
    const dir = await ensembleDirOf(target);
    await withProgress(o, async (opts) => (await controller()).resumeEnsemble(dir, opts));
  });

program
  .command('extend')
  .description('add samples to the design (the sequence continues), run only the new tasks, grow the dataset')
  .argument('<ensemble>', 'ensemble directory or config file')
  .requiredOption('--budget <n>', 'number of samples to add', int)
  .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
  .option('--no-progress', 'no progress bar or lines')
  .action(async (target: string, o: RunFlags & { budget: number }) => {
    const dir = await ensembleDirOf(target);
    await withProgress(o, async (opts) => (await controller()).extendEnsemble(dir, o.budget, opts));
  });

program
  .command('retry')
  .description('run failed tasks once more (earlier attempts stay in the journal and the record files)')
  .argument('<ensemble>', 'ensemble directory or config file')
  .requiredOption('--failed', 'retry failed tasks')
  .option('--reason <kind>', 'only failures of this kind: timeout, out of memory, node failure, exit code, lost, ...')
  .addOption(new Option('-w, --workers <n>', 'concurrent tasks on the local executor').argParser(int))
  .option('--no-progress', 'no progress bar or lines')
  .action(async (target: string, o: RunFlags & { reason?: string }) => {
    const dir = await ensembleDirOf(target);
    await withProgress(o, async (opts) => {
      const r = await (await controller()).retryEnsemble(dir, { reason: o.reason }, opts);
      process.stdout.write(`retried ${r.retried} failed task${r.retried === 1 ? '' : 's'}\n`);
      return r;
    });
  });

program
  .command('show')
  .description('provenance: the manifest (config hash, seeds, versions, git commit), hosts and jobs that ran tasks')
  .argument('<ensemble>', 'ensemble directory or config file')
  .action(async (target: string) => {
    const s = await (await controller()).showEnsemble(await ensembleDirOf(target));
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  });

program
  .command('status')
  .description('done / failed / pending counts of an ensemble')
  .argument('<ensemble>', 'ensemble directory or config file')
  .option('--json', 'machine-readable output')
  .option('--failed', 'list the failed tasks with their reasons')
  .action(async (target: string, o: { json?: boolean; failed?: boolean }) => {
    const dir = await ensembleDirOf(target);
    const { ensembleStatus, chunkStatus, readFinals } = await controller();
    const staged = await (await import('../stages.js')).readStages(dir);
    if (staged) {
      // a multi-stage ensemble: one line per stage (`status <dir>/stages/<name>` for its chunks and failures)
      const layout = new (await import('../layout/layout.js')).EnsembleLayout(dir);
      const all = await Promise.all(staged.stages.map(async (st) => ({ stage: st.name, ...(await ensembleStatus(layout.stageDir(st.name))) })));
      if (o.json) process.stdout.write(JSON.stringify({ name: staged.name, ensembleDir: dir, stages: all }) + '\n');
      for (const st of o.json ? [] : all) process.stdout.write(`${st.stage}: ${st.total} tasks: ${st.done} done, ${st.failed} failed, ${st.pending} pending (${st.ensembleDir})\n`);
      return;
    }
    const s = await ensembleStatus(dir);
    const chunks = s.pending > 0 ? await chunkStatus(dir) : [];
    if (o.json) process.stdout.write(JSON.stringify({ ...s, chunks }) + '\n');
    else {
      process.stdout.write(`${s.name}: ${s.total} tasks: ${s.done} done, ${s.failed} failed, ${s.pending} pending (${s.ensembleDir})\n`);
      for (const c of chunks) {
        const states = Object.entries(c.counts).map(([k, v]) => `${v} ${k}`).join(', ');
        process.stdout.write(`  chunk ${c.label} job ${c.jobId} (attempt ${c.attempt}, ${c.elements} elements): ${states}\n`);
      }
    }
    if (o.failed) {
      const { layout } = await readPlan(dir);
      for (const r of [...(await readFinals(layout)).values()].filter((r) => r.status === 'failed').sort((a, b) => a.task - b.task)) {
        process.stdout.write(`task ${r.task} (attempt ${r.attempt}): ${r.reason}\n`);
      }
    }
  });

program
  .command('cancel')
  .description('cancel every array job of an ensemble (one scancel/qdel); `run` again resumes')
  .argument('<ensemble>', 'ensemble directory or config file')
  .action(async (target: string) => {
    const ids = await (await controller()).cancelEnsemble(await ensembleDirOf(target));
    process.stdout.write(ids.length ? `cancelled jobs ${ids.join(', ')}\n` : 'nothing was submitted\n');
  });

program
  .command('collect')
  .description('(re)build dataset.parquet and dataset.csv from the task records (or, with --from, from a results tree)')
  .argument('[ensemble]', 'ensemble directory or config file')
  .option('--from <dir>', 'import a results tree left by another tool instead (docs/import.md)')
  .option('--pattern <glob>', "with --from: the result files, e.g. 'run_*/result.json'")
  .option('--out <dir>', 'with --from: where the dataset goes (default: the --from directory)')
  .option('--follow', 'keep dataset/ current while the ensemble runs; compact when every task has its final row (docs/watching.md)')
  .action(async (target: string | undefined, o: ImportCliOptions & { follow?: boolean }) => {
    if (o.from !== undefined || o.pattern !== undefined || o.out !== undefined) return collectFrom(target, o);
    if (target === undefined) throw new ArrayflowError('E_USAGE', 'collect needs an ensemble directory or config file (or --from DIR --pattern GLOB)');
    if (o.follow) return (await import('./follow.js')).collectFollow(await ensembleDirOf(target));
    const dir = await ensembleDirOf(target);
    const stages = await import('../stages.js');
    const collectOne = async () => {
      const { layout, plan } = await readPlan(dir);
      return (await controller()).collectEnsemble(layout, plan);
    };
    const r = (await stages.readStages(dir)) ? await stages.collectStages(dir) : await collectOne();
    process.stdout.write(`${r.done + r.failed} rows (${r.done} done, ${r.failed} failed, ${r.pending} pending)\n${r.parquet}\n${r.csv}\n`);
    if (r.badLines > 0) process.stderr.write(`warning: ${r.badLines} malformed record lines skipped\n`);
  });

interface ImportCliOptions {
  from?: string;
  pattern?: string;
  out?: string;
}

/** `collect --from DIR --pattern GLOB`: exit 0 when every matched file gave a row, 3 when some were bad. */
async function collectFrom(target: string | undefined, o: ImportCliOptions): Promise<void> {
  if (target !== undefined || o.from === undefined || o.pattern === undefined) {
    throw new ArrayflowError('E_USAGE', `collect --from takes no ensemble and needs both --from DIR and --pattern GLOB, e.g. collect --from runs/ --pattern 'run_*/result.json'`);
  }
  const { importResults } = await import('../collect/import.js');
  const r = await importResults(o.from, { pattern: o.pattern, outDir: o.out });
  process.stdout.write(`${r.rows} rows from ${r.matched} files\n${r.parquet}\n${r.csv}\n`);
  if (r.problems.length === 0) return;
  const shown = 20;
  for (const p of r.problems.slice(0, shown)) process.stderr.write(`${p.reason}\n`);
  if (r.problems.length > shown) process.stderr.write(`... and ${r.problems.length - shown} more\n`);
  process.stderr.write(`warning: ${r.problems.length} of ${r.matched} files gave no row; all are listed in ${r.errors}\n`);
  process.exitCode = 3;
}

program
  .command('summary')
  .description('count, mean, std, min, max of the numeric results of the done tasks so far, grouped by parameters')
  .argument('<ensemble>', 'ensemble directory or config file (or a directory holding an imported dataset.parquet)')
  .option('--by <columns>', 'comma-separated parameters to group by')
  .option('--columns <columns>', 'comma-separated numeric columns to summarize (default: every numeric result)')
  .option('--records', 'compute from the record files even when dataset.parquet is up to date')
  .option('--json', 'machine-readable output')
  .action(async (target: string, o: { by?: string; columns?: string; records?: boolean; json?: boolean }) => {
    const { readEnsembleSummary, renderSummaryTable } = await import('../collect/summary.js');
    const list = (v?: string) => v?.split(',').map((x) => x.trim()).filter((x) => x !== '');
    const s = await readEnsembleSummary(await ensembleDirOf(target), { by: list(o.by), columns: list(o.columns), fromRecords: o.records });
    if (o.json) {
      process.stdout.write(JSON.stringify(s) + '\n');
      return;
    }
    const from = s.source === 'dataset' ? 'dataset.parquet' : `the records: ${s.staleReason}`;
    if (s.name === null) process.stdout.write(`${s.dir}: ${s.total} rows (imported dataset.parquet)\n`);
    else process.stdout.write(`${s.name}: ${s.total} tasks: ${s.done} done, ${s.failed} failed, ${s.pending} pending (from ${from})\n`);
    process.stdout.write(s.done + s.failed === 0 ? 'no finished tasks yet\n' : renderSummaryTable(s));
  });

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
  .action(async (dir: string, o: TaskOptions) => {
    const { indexFromEnv, jobIdFromEnv, runElement, runWorker } = await import('../node/main.js');
    if (o.worker) {
      process.exitCode = await runWorker(dir, o.writer ?? `local-pid${process.pid}`);
      return;
    }
    const index = o.index ?? (o.indexFrom ? indexFromEnv(o.indexFrom.split(',')) : undefined);
    if (index === undefined) throw new ArrayflowError('E_USAGE', 'task needs --worker, --index or --index-from');
    const jobId = o.jobIdFrom ? jobIdFromEnv(o.jobIdFrom.split(','), index) : null;
    process.exitCode = await runElement(dir, { index, offset: o.offset, attempt: o.attempt, jobId, tasksFile: o.tasksFile });
  });

interface TaskOptions {
  worker?: boolean;
  writer?: string;
  index?: number;
  indexFrom?: string;
  offset: number;
  attempt: number;
  jobIdFrom?: string;
  tasksFile?: string;
}

// `arrayflow status | head`: a closed stdout ends the command quietly, like other Unix tools
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

program.parseAsync(process.argv).catch(fail);
