// PBS (Pro and Torque dialects) as a BatchScheduler: the pure adapter of src/scheduler/pbs.ts, PBS script conventions, and the Slurm-wrapper backend.
import { basename, dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { SchedulerError, TransportError } from '../errors.js';
import { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import * as pbs from '../scheduler/pbs.js';
import * as slurm from '../scheduler/slurm.js';
import type { ElementStatus } from '../scheduler/types.js';
import type { Transport } from '../transport/transport.js';
import type { BatchScheduler } from './batch.js';
import { slurmScheduler } from './slurm.js';

/**
 * Who answers the PBS commands. `pbs`: a real PBS Pro / OpenPBS or Torque server. `slurm-wrapper`:
 * Slurm with its Torque wrappers (slurm-wlm-torque): qsub/qdel work, but its qstat cannot name array
 * elements, so status and find-by-name go to squeue/sacct.
 */
export type PbsBackend = 'pbs' | 'slurm-wrapper';

const SCRIPT_EXT = 'pbs';

function checkLine(what: string, value: string): string {
  if (/[\n\r\0]/.test(value)) throw new SchedulerError(`${what} ${JSON.stringify(value)} contains a line break or NUL: it would start a new, unchecked directive`);
  return value;
}

/** `#PBS` directives of the config's resources, as {flag, value} pairs (`-l walltime=01:00:00`). */
export function pbsDirectives(plan: PlanFile, dialect: pbs.PbsDialect): Array<{ flag: string; value: string }> {
  const r = plan.executor.resources;
  const d: Array<{ flag: string; value: string }> = [];
  const add = (flag: string, value: string) => d.push({ flag, value: checkLine(`directive ${flag}`, value) });
  if (r.qos !== undefined) {
    throw new SchedulerError(`executor.resources.qos "${r.qos}" has no PBS equivalent — remove it, or pass a PBS option through executor.resources.extra`);
  }
  let gpus: number | undefined;
  if (r.gpus !== undefined) {
    gpus = Number(r.gpus);
    if (!Number.isInteger(gpus) || gpus < 0) {
      throw new SchedulerError(`executor.resources.gpus "${r.gpus}" must be a number of GPUs for PBS (typed GPUs go in executor.resources.extra)`);
    }
  }
  const mem = r.mem === undefined ? undefined : pbs.pbsMem(r.mem);
  if (dialect === 'pro') {
    // one chunk per array element: PBS Pro places resources in chunks (pbs_resources(7B), "select")
    if (r.cpus !== undefined || mem !== undefined || gpus !== undefined) {
      let chunk = `1:ncpus=${r.cpus ?? 1}`;
      if (mem !== undefined) chunk += `:mem=${mem}`;
      if (gpus) chunk += `:ngpus=${gpus}`;
      add('-l', `select=${chunk}`);
    }
  } else {
    if (r.cpus !== undefined || gpus) add('-l', `nodes=1:ppn=${r.cpus ?? 1}${gpus ? `:gpus=${gpus}` : ''}`);
    if (mem !== undefined) add('-l', `mem=${mem}`);
  }
  if (r.time !== undefined) add('-l', `walltime=${pbs.pbsWalltime(r.time)}`);
  if (r.partition !== undefined) add('-q', r.partition);
  if (r.account !== undefined) add('-A', r.account);
  // extra: a key starting with "-" is a qsub option (`-W: group_list=x`), any other key a resource (`place: scatter` → -l place=scatter)
  for (const [k, v] of Object.entries(r.extra ?? {})) {
    checkLine('executor.resources.extra key', k);
    if (k.startsWith('-')) add(k, v);
    else add('-l', `${k}=${v}`);
  }
  return d;
}

/** The ensemble layout and submission label of a rendered script path (the inverse of EnsembleLayout.script), or null. */
function scriptOwner(script: string): { layout: EnsembleLayout; label: string } | null {
  const m = /^chunk-(.+)\.pbs$/.exec(basename(script));
  if (!m) return null;
  const layout = new EnsembleLayout(resolve(dirname(script), '..', '..'));
  return layout.script(m[1], SCRIPT_EXT) === resolve(script) ? { layout, label: m[1] } : null;
}

/** The PBS scheduler of one dialect; which backend answers is found by readLimits (qmgr, else scontrol). */
export function pbsScheduler(dialect: pbs.PbsDialect): BatchScheduler & { backend(): PbsBackend } {
  let backend: PbsBackend = 'pbs';
  // Jobs qstat called unknown: left out of later queries, because one unknown id fails the whole
  // qstat (exit > 0) and BatchRun then sees nothing at all. An array that is gone still resolves:
  // its elements without a record become lost after BatchRun's grace period.
  const gone: string[] = [];

  const logPattern = (layout: EnsembleLayout, label: string, stream: 'out' | 'err'): string => {
    if (backend === 'slurm-wrapper') return join(layout.jobLogsDir, `${label}-%A_%a.${stream}`); // sbatch(1) filename pattern
    // PBS Pro ≥ 19.1: -o/-e naming a directory gives one <subjob id>.OU / .ER per subjob (OpenPBS issue #1108, PR #892)
    if (dialect === 'pro') return layout.jobLogsDir;
    return join(layout.jobLogsDir, `${label}.${stream}`);
  };

  return {
    name: 'PBS',
    template: dialect === 'pro' ? 'pbspro.pbs' : 'torque.pbs',
    scriptExt: SCRIPT_EXT,
    // PBS Pro sets PBS_ARRAY_INDEX, Torque PBS_ARRAYID; Slurm's spank_pbs sets only PBS_ARRAY_INDEX
    indexVars: dialect === 'pro' ? ['PBS_ARRAY_INDEX'] : ['PBS_ARRAYID', 'PBS_ARRAY_INDEX'],
    // PBS Pro and Slurm's spank_pbs set PBS_ARRAY_ID (the array's id); Torque only PBS_JOBID (1234[7].server)
    jobIdVars: ['PBS_ARRAY_ID', 'PBS_JOBID'],
    backend: () => backend,
    logPattern,
    logFile(layout: EnsembleLayout, label: string, jobId: string, index: number): string {
      if (backend === 'slurm-wrapper') return join(layout.jobLogsDir, `${label}-${jobId}_${index}.err`);
      if (dialect === 'pro') return join(layout.jobLogsDir, `${pbs.subjobId(jobId, index)}.ER`);
      // Torque copies a subjob's stderr to the -e path with "-<index>" appended (unverified: no Torque to test on)
      return join(layout.jobLogsDir, `${label}.err-${index}`);
    },
    directives: (plan: PlanFile) => pbsDirectives(plan, dialect),
    // PBS Pro qsub(1B): -W depend=afterany:<id>[:<id>...], an array job's id (1234[]) standing for all its subjobs;
    // Torque names the array forms afteranyarray / afterokarray
    dependency: ({ kind, jobIds }) => [{ flag: '-W', value: `depend=${kind}${dialect === 'torque' ? 'array' : ''}:${jobIds.join(':')}` }],

    async readLimits(t: Transport) {
      const argv = pbs.qmgrPrintServerArgv();
      let r: { stdout: string; stderr: string; exitCode: number } | null = null;
      try {
        r = await t.run(argv, { idempotent: true });
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
      }
      if (r && r.exitCode === 0) {
        backend = 'pbs';
        const l = pbs.parseQmgrServer(r.stdout, { user: t.user ?? userInfo().username });
        return { maxArraySize: l.maxArraySize, maxSubmitJobs: l.maxQueued, accounting: false };
      }
      if (r && r.exitCode !== 127) {
        // a PBS server that does not let this user read its configuration: run without its limits
        backend = 'pbs';
        return { accounting: false };
      }
      // no qmgr: Slurm's Torque wrappers ship qsub/qstat/qdel but no qmgr
      try {
        const limits = await slurmScheduler.readLimits(t);
        backend = 'slurm-wrapper';
        return limits;
      } catch (e) {
        throw new SchedulerError(
          'found neither a PBS server (`qmgr -c "print server"` is missing) nor Slurm behind the qsub wrapper ' +
            `(\`scontrol show config\`: ${(e as Error).message}) — is PBS installed on the host that runs qsub?`,
          { cause: e },
        );
      }
    },

    submitArgv(script: string): string[] {
      if (backend !== 'slurm-wrapper') return pbs.qsubArgv(script);
      // Slurm's qsub puts its own -o/-e (<script>.o%A, in the submitter's cwd) on the sbatch command
      // line, which beats the script's #PBS -o/-e: name the log files on the qsub command line instead.
      const owner = scriptOwner(script);
      if (!owner) throw new SchedulerError(`cannot tell the ensemble of ${script}, so the qsub wrapper's log files cannot be placed`);
      return pbs.qsubArgv(script, {
        stdout: logPattern(owner.layout, owner.label, 'out'),
        stderr: logPattern(owner.layout, owner.label, 'err'),
        viaShell: true,
      });
    },
    parseSubmit: pbs.parseQsubOutput,
    submitError: (stderr: string, exitCode: number, script: string) => pbs.classifyQsubError(stderr, exitCode, script),

    statusArgv(ids: string[], accounting: boolean): string[] {
      if (backend === 'slurm-wrapper') return accounting ? slurm.sacctArgv(ids) : slurm.squeueArgv(ids);
      const known = ids.filter((id) => !gone.some((g) => pbs.sameJob(g, id)));
      // all gone: ask anyway (the answer is "unknown" again, which is the truth)
      const ask = known.length > 0 ? known : ids;
      return dialect === 'pro' ? pbs.qstatProArgv(ask) : pbs.qstatTorqueArgv(ask);
    },
    parseStatus(stdout: string, accounting: boolean): ElementStatus[] {
      if (backend === 'slurm-wrapper') return accounting ? slurm.parseSacctOutput(stdout) : slurm.parseSqueueOutput(stdout);
      return dialect === 'pro' ? pbs.parseQstatJson(stdout) : pbs.parseQstatFull(stdout, 'torque');
    },
    unknownJobs(stderr: string): boolean {
      if (backend === 'slurm-wrapper') return slurm.isUnknownJobError(stderr);
      for (const id of pbs.parseUnknownJobIds(stderr)) if (!gone.includes(id)) gone.push(id);
      return pbs.isUnknownJobError(stderr);
    },
    queryError: (argv: string[], stderr: string, exitCode: number) =>
      backend === 'slurm-wrapper' ? slurm.classifyQueryError(argv, stderr, exitCode) : pbs.classifyQueryError(argv, stderr, exitCode),
    statusByIndex(statuses: ElementStatus[], jobId: string): Map<number, ElementStatus> {
      if (backend !== 'slurm-wrapper') return pbs.pbsStatusByIndex(statuses, jobId);
      const byIndex = slurm.statusByIndex(statuses, jobId);
      // a one-element chunk is a plain job (PBS Pro refuses arrays of one): squeue shows it without a task id
      const plain = statuses.find((s) => s.arrayJobId === jobId && s.index === null && s.range === undefined);
      if (plain && !byIndex.has(0)) byIndex.set(0, { ...plain, index: 0 });
      return byIndex;
    },

    findArgv: (name: string, accounting: boolean) =>
      backend === 'slurm-wrapper' ? slurmScheduler.findArgv(name, accounting) : pbs.qselectArgv(dialect, name),
    parseFind: (stdout: string) => (backend === 'slurm-wrapper' ? slurmScheduler.parseFind(stdout) : pbs.parseQselectOutput(stdout)),
    cancelArgv: pbs.qdelArgv,
    refine: (status: ElementStatus, stderrText: string) =>
      backend === 'slurm-wrapper' ? slurm.applyMemoryKill(status, stderrText) : pbs.applyPbsKill(status, stderrText),
  };
}
