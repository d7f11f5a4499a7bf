// What the commands share: reading a positional as an ensemble, number options, the run display, and turning errors into exit codes.
import { stat } from 'node:fs/promises';
import { type Command, CommanderError } from 'commander';
import { ArrayflowError, ConfigError, EnsembleError, StorageError, UsageError } from '../errors.js';
import { DATASET_FORMATS, type DatasetFormat, type ExecutorType } from '../config/types.js';
import { describeChange } from '../plan/settings.js';
import type { RunOptions, RunResult, SettingsUpdate } from '../run/types.js';
import type { LogLevel } from '../util/log.js';

export interface RunFlags {
  workers?: number;
  executor?: ExecutorType;
  host?: string;
  progress: boolean;
  /** `--report`: write <ensemble>/report.html at the end. */
  report?: boolean;
}

/** The options given before the command (`arrayflow --log-level debug run ...`), set once they are parsed. */
let globalOptions: { logLevel?: LogLevel } = {};

export function setGlobalOptions(o: { logLevel?: LogLevel }): void {
  globalOptions = o;
}

/** Writes <ensemble>/report.html (`arrayflow report`, `--report` of run, resume and collect) and says where. */
export async function writeReportFor(ensembleDir: string, opts: { x?: string[]; y?: string[] } = {}): Promise<void> {
  const { writeReport } = await import('../report/report.js');
  const r = await writeReport(ensembleDir, opts);
  for (const w of r.warnings) process.stderr.write(`warning: report chart ${w}\n`);
  const charts = r.x.length > 0 ? `; results: ${r.y.join(', ')} against ${r.x.join(', ')}` : '';
  process.stdout.write(`report: ${r.path} (${r.total} tasks: ${r.done} done, ${r.failed} failed, ${r.pending} pending${charts})\n`);
}

/** What an interrupt does, said when it comes: it depends on the executor (null: nothing planned yet). */
function interruptMessage(signal: NodeJS.Signals, run: { ensembleDir: string; executor: ExecutorType } | null): string {
  const again = `${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once`;
  if (run === null) return `interrupted (${signal}): stopping; ${again}`;
  if (run.executor === 'local') {
    return (
      `interrupted (${signal}): stopping the running tasks (SIGTERM, SIGKILL 3 s later); they are recorded as interrupted, not failed, ` +
      `and \`arrayflow resume ${run.ensembleDir}\` runs them again with the pending ones; ${again} (the tasks are stopped all the same)`
    );
  }
  return (
    `interrupted (${signal}): no more submissions; the submitted jobs keep running in the queue: ` +
    `\`arrayflow resume ${run.ensembleDir}\` follows them again, \`arrayflow cancel ${run.ensembleDir}\` stops them; ${again}`
  );
}

/** What is left after an interrupted run: the pending tasks in submitted jobs keep running in the queue; resume runs the others. */
function interruptedLine(dir: string, pending: number, submitted: number): string {
  const others = pending - submitted;
  if (submitted === 0) return `interrupted: arrayflow resume ${dir} runs the ${pending} pending tasks\n`;
  return (
    `interrupted: ${submitted} task${submitted === 1 ? ' is' : 's are'} in submitted jobs that keep running (queued or running; \`arrayflow cancel ${dir}\` stops them); ` +
    `arrayflow resume ${dir} follows them${others > 0 ? ` and runs the other ${others} pending` : ''}\n`
  );
}

/** Prints the execution settings a config changed in an ensemble planned before. */
export function printSettings(u: SettingsUpdate): void {
  const lines = u.changes.map((c) => `  ${describeChange(c, u.bundle)}\n`).join('');
  process.stdout.write(`execution settings of ${u.ensembleDir} changed (journalled; \`arrayflow show\` lists every change):\n${lines}`);
}

/** How to run the cancelled tasks of an ensemble again (after scancel, qdel or `arrayflow cancel`). */
export function cancelledHint(cancelled: number, ensembleDir: string): string {
  return `${cancelled} task${cancelled === 1 ? ' was' : 's were'} cancelled; run ${cancelled === 1 ? 'it' : 'them'} again with: arrayflow retry ${ensembleDir} --failed --reason cancelled\n`;
}

/** The cancelled hint of a run; a multi-stage root has no plan to retry, so one per stage that has cancelled tasks. */
async function cancelledHints(result: RunResult): Promise<string> {
  const { stagesStatus } = await import('../run/status.js');
  const staged = await stagesStatus(result.ensembleDir);
  if (!staged) return cancelledHint(result.cancelled, result.ensembleDir);
  return staged.stages.map((st) => (st.cancelled > 0 ? cancelledHint(st.cancelled, st.ensembleDir) : '')).join('');
}

/** Runs `fn` with Ctrl-C (and SIGTERM) handling and a progress display, then prints the outcome. */
export async function withProgress(o: RunFlags, fn: (opts: RunOptions) => Promise<RunResult>): Promise<void> {
  const abort = new AbortController();
  const { progressReporter } = await import('./progress.js');
  let progress = o.progress ? progressReporter(process.stderr) : null;
  let run: { ensembleDir: string; executor: ExecutorType } | null = null;
  let interrupts = 0;
  const interrupt = (signal: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(130);
    // no bar after this: it would draw over the message
    progress?.stop();
    progress = null;
    process.stderr.write(`\n${interruptMessage(signal, run)}\n`);
    abort.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const result = await fn({
    workers: o.workers,
    logLevel: globalOptions.logLevel,
    ...(o.host ? { host: o.host } : {}),
    signal: abort.signal,
    onRemote: (r) =>
      process.stdout.write(
        `cluster copy ${r.host}:${r.root}: ${r.upload.sent} files sent, ${r.upload.kept} unchanged${r.shipped ? ' (arrayflow shipped into .arrayflow/)' : ''}\n`,
      ),
    onAdaptive: (a) => process.stdout.write(`adaptive round ${a.round}: ${a.points} new points (${a.tasks}/${a.budget} tasks)\n`),
    onSubmit: (s) =>
      process.stdout.write(
        `submitted ${s.label}: job ${s.jobId} (${s.count} array element${s.count === 1 ? '' : 's'}${s.bundle ? ` of up to ${s.bundle} tasks` : ''}, attempt ${s.attempt})\n`,
      ),
    onPrologue: (p) => process.stdout.write(`prologue ${p.command.join(' ')}: done in ${p.duration_s.toFixed(1)} s\n`),
    onPlanned: (p) => {
      run = p;
      const inQueue = p.submitted > 0 ? `, ${p.submitted} in jobs submitted before (queued or running: followed)` : '';
      process.stdout.write(`${p.created ? 'planned' : 'resuming'} ${p.tasks} tasks in ${p.ensembleDir}; ${p.toRun} to run${inQueue}\n`);
    },
    onProgress: (p) => progress?.update(p),
    onSettings: printSettings,
  });
  progress?.stop();
  process.stdout.write(
    `${result.done} done, ${result.failed} failed, ${result.pending} pending\n` +
      `dataset: ${datasetPaths(result).join('\n         ')}\n` +
      (result.failed > 0 ? `failures: arrayflow status ${result.ensembleDir} --failed\n` : '') +
      (abort.signal.aborted && result.pending > 0 ? interruptedLine(result.ensembleDir, result.pending, result.submitted ?? 0) : '') +
      (result.stoppedByCancel ? `stopped by arrayflow cancel: nothing more was started or submitted, and every task left unfinished is recorded as cancelled\n` : '') +
      (result.cancelRequested && !result.stoppedByCancel ? `arrayflow cancel came when every task had its row: nothing was cancelled\n` : '') +
      (result.cancelled > 0 ? await cancelledHints(result) : ''),
  );
  if (result.done > 0) {
    // a first look at the results, read back from dataset.parquet (arrayflow summary --by for more); by stage for stages
    const [{ summarizeEnsemble }, { renderSummaryTable }] = await Promise.all([import('../run/summary.js'), import('../collect/summary.js')]);
    process.stdout.write(`summary of the done tasks (arrayflow summary ${result.ensembleDir} --by <params> for groups):\n`);
    process.stdout.write(renderSummaryTable(await summarizeEnsemble(result.ensembleDir)));
  }
  if (o.report) await writeReportFor(result.ensembleDir);
  process.exitCode = exitStatus(result, abort.signal.aborted);
}

/** The exit status of a command that ran or collected an ensemble (see EXIT_STATUS_HELP). */
export function exitStatus(result: { failed: number; stoppedByCancel?: boolean }, interrupted = false): number {
  if (interrupted) return 130;
  return result.failed > 0 || result.stoppedByCancel ? 3 : 0;
}

/** What `--help` and the README say about exit statuses. */
export const EXIT_STATUS_HELP = `
Exit status:
  0    every task is done
  3    the ensemble finished with failed tasks (run, resume, retry, extend, collect; see \`status --failed\`),
       or \`arrayflow cancel\` stopped the run (its unfinished tasks are failed rows, reason cancelled)
  2    a config or usage error (the message names the file, line and key, or the option)
  4    the ensemble's filesystem refused a write: full, over quota or read-only (the message names the file;
       nothing recorded is lost: make room, then \`arrayflow resume\`)
  1    anything else (a scheduler refusal, a missing ensemble directory, ...)
  130  interrupted (Ctrl-C)`;

/** A positional that is either an ensemble directory or a config file (whose ensemble_dir is used). */
export async function ensembleDirOf(target: string): Promise<string> {
  const st = await stat(target).catch(() => null);
  if (st?.isDirectory()) return target;
  if (st === null) throw new EnsembleError(`${target}: no such ensemble directory or config file`);
  return (await (await import('../config/load.js')).readConfig(target)).ensemble_dir;
}

/** A command whose positional is an ensemble directory or a config file (see {@link ensembleDirOf}). */
export function ensembleCommand(program: Command, name: string, description: string): Command {
  return program.command(name).description(description).argument('<ensemble>', 'ensemble directory or config file');
}

/** A comma-separated option (`--by a,b`) as its words; undefined when not given. */
export const commaList = (v?: string): string[] | undefined => v?.split(',').map((x) => x.trim()).filter((x) => x !== '');

/** The dataset files written, in format order (Parquet first). */
export function datasetPaths(r: Partial<Record<DatasetFormat, string>>): string[] {
  return DATASET_FORMATS.flatMap((f) => (r[f] === undefined ? [] : [r[f]]));
}

/** commander's parser of `--format parquet,csv,hdf5`. */
export const formatList = (v: string): DatasetFormat[] => {
  const formats = commaList(v) ?? [];
  const known: readonly string[] = DATASET_FORMATS;
  const bad = formats.find((f) => !known.includes(f));
  if (bad !== undefined || formats.length === 0) {
    throw new UsageError(`--format ${JSON.stringify(v)}: ${bad === undefined ? 'no format given' : `'${bad}' is not a dataset format`}; give a comma-separated list of ${DATASET_FORMATS.join(', ')}, e.g. --format parquet,hdf5`);
  }
  return formats as DatasetFormat[];
};

/** commander's parser of a whole-number option. */
export const int = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`expected a whole number, got '${v}'`);
  return n;
};

/** Prints an error the way a user can act on, and exits: 2 for config and usage errors, 1 otherwise. */
export function fail(err: unknown): never {
  // commander printed its own message (unknown option, missing argument) or the help: only the status is ours
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n${err.issues.length} problem${err.issues.length === 1 ? '' : 's'} in the config.\n`);
    process.exit(2);
  }
  // a refused write that no layer could name a file for: the path the system call had, if any
  const refused = err instanceof ArrayflowError ? err : StorageError.from(err, (err as NodeJS.ErrnoException | null)?.path ?? 'a file');
  if (refused instanceof StorageError) {
    process.stderr.write(`arrayflow: ${refused.message}; nothing recorded is lost: make room (or make it writable), then run \`arrayflow resume\`\n`);
    process.exit(4);
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
