// `arrayflow run <config>`: plan (or re-open) the ensemble, run every pending task with the configured executor, collect the dataset; or a smoke run.
import { type Command, Option } from 'commander';
import { EXECUTOR_TYPES } from '../../config/types.js';
import { formatSeconds } from '../../plan/bundle.js';
import type { SmokeStage, SmokeTask } from '../../run/smoke.js';
import { type RunFlags, int, withProgress } from '../shared.js';

const TAIL_LINES = 5;

/** One smoke task: its parameters, then its result or its failure with the end of its stderr. */
function describeTask(t: SmokeTask): string {
  const r = t.record;
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  const head = `${t.stage ? `${t.stage} ` : ''}task ${t.task} (${params ? `${params}; ` : ''}task_seed ${t.seed})`;
  const outcome =
    r.status === 'done'
      ? `done in ${formatSeconds(r.duration_s)}: ${Object.entries(r.result ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`
      : `FAILED in ${formatSeconds(r.duration_s)}: ${r.reason ?? 'failed'}`;
  const tail = r.status === 'failed' ? (r.stderr_tail ?? '').trimEnd().split('\n').filter((l) => l !== '').slice(-TAIL_LINES) : [];
  return [`${head}: ${outcome}`, ...tail.map((l) => `  stderr| ${l}`)].join('\n') + '\n';
}

/** What the smoke tasks' time means for bundling, per stage. */
function describeTime(s: SmokeStage): string {
  const of = s.stage ? `${s.stage}: ` : '';
  const configured =
    s.expected_s === null
      ? `the config sets no expected_task_time (set it${s.measured_s === null ? '' : ` to ${+s.measured_s.toPrecision(2)}s`} to size bundles by it)`
      : `the config's expected_task_time is ${formatSeconds(s.expected_s)}`;
  if (s.tasks.length === 0) return `${of}no task ran (none of its upstream smoke tasks succeeded)\n`;
  if (s.measured_s === null || !s.bundle) return `${of}no smoke task succeeded, so no time per task was measured; ${configured}\n`;
  return (
    `${of}time per task measured: ${formatSeconds(s.measured_s)} (mean of the ${s.tasks.filter((t) => t.record.status === 'done').length} done); ${configured}\n` +
    `${of}with it, the plan's bundle would be ${s.bundle.bundle} task${s.bundle.bundle === 1 ? '' : 's'} per array element (${s.bundle.elements} elements for ${s.total} tasks): ${s.bundle.reason}\n`
  );
}

async function smokeRun(configPath: string, n: number): Promise<void> {
  const [{ readConfigFile }, { smokeConfig }] = await Promise.all([import('../../config/load.js'), import('../../run/smoke.js')]);
  const { config, text } = await readConfigFile(configPath);
  process.stdout.write(`smoke run: ${n} task${n === 1 ? '' : 's'}${config.stages ? ' per stage' : ''} on this machine, in a throw-away directory (nothing is written into ${config.ensemble_dir})\n`);
  const abort = new AbortController();
  process.on('SIGINT', () => abort.abort());
  const r = await smokeConfig(config, text, n, {
    signal: abort.signal,
    onPrologue: (p) => process.stdout.write(`prologue ${p.command.join(' ')}: done in ${formatSeconds(p.duration_s)}\n`),
    onTask: (t) => process.stdout.write(describeTask(t)),
  });
  for (const s of r.stages) process.stdout.write(describeTime(s));
  const ran = r.stages.reduce((k, s) => k + s.tasks.length, 0);
  process.stdout.write(`${ran - r.failed} of ${ran} smoke tasks done\n`);
  process.exitCode = abort.signal.aborted ? 130 : r.failed > 0 || r.stages.some((s) => s.tasks.length === 0) ? 3 : 0;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('plan, run every pending task with the executor of the config (or --executor), and collect the dataset (resumes an existing ensemble)')
    .argument('<config>', 'config file (YAML)')
    .addOption(new Option('-w, --workers <n>', 'concurrent tasks (default: executor.workers or the number of cores)').argParser(int))
    .addOption(new Option('-e, --executor <type>', 'override executor.type').choices(EXECUTOR_TYPES))
    .option('--host <login>', 'submit over SSH from this machine: user@host[:port] or an ssh_config alias (needs executor.remote.dir; docs/ssh.md)')
    .addOption(
      new Option('--smoke <n>', 'instead: run n tasks spread over the design here, one at a time, in a throw-away directory; print their results or failures, durations and the bundle their time gives; exit 3 if any failed').argParser(int),
    )
    .option('--no-progress', 'no progress bar or lines')
    .option('--report', 'write <ensemble>/report.html at the end (docs/report.md)')
    .action(async (configPath: string, o: RunFlags & { smoke?: number }) => {
      if (o.smoke !== undefined) return smokeRun(configPath, o.smoke);
      const { runEnsemble } = await import('../../run/run.js');
      await withProgress(o, (opts) => runEnsemble(configPath, { ...opts, executor: o.executor }));
    });
}
