// PBS (Pro and Torque dialects) as a BatchScheduler talking to a PBS server; its limits discovery finds Slurm's qsub wrapper instead when there is no qmgr (./slurm-wrapper.ts).
import { join } from 'node:path';
import { SchedulerError } from '../../errors.js';
import type { EnsembleLayout } from '../../layout/layout.js';
import type { FoundLimits, LimitsQuery } from '../contract.js';
import { slurmLimits } from '../slurm/limits.js';
import { qsubArgv, qselectArgv, qstatProArgv, qstatTorqueArgv } from './argv.js';
import { classifyQueryError, isUnknownJobError, parseUnknownJobIds } from './errors.js';
import { sameJob, subjobId } from './job-id.js';
import { applyPbsKill } from './kills.js';
import { parseQmgrServer, qmgrPrintServerArgv } from './limits.js';
import { parseQstatFull, parseQstatJson, pbsStatusByIndex } from './parse-status.js';
import { parseQselectOutput } from './parse-submit.js';
import { type PbsBinding, pbsScript } from './script.js';
import { slurmWrapperScheduler } from './slurm-wrapper.js';
import type { PbsDialect } from './states.js';

export type { PbsBackend, PbsBinding } from './script.js';

/** Limits discovery through Slurm behind the qsub wrapper; a failure of its first step (or a refused answer) means neither PBS nor Slurm answered. */
function viaSlurmWrapper(query: LimitsQuery, dialect: PbsDialect, first = true): LimitsQuery {
  const neither = (e: unknown) =>
    new SchedulerError(
      'found neither a PBS server (`qmgr -c "print server"` is missing) nor Slurm behind the qsub wrapper ' +
        `(\`scontrol show config\`: ${(e as Error).message}) — is PBS installed on the host that runs qsub?`,
      { cause: e },
    );
  return {
    argv: query.argv,
    mayBeMissing: first || query.mayBeMissing,
    next(answer): LimitsQuery | FoundLimits {
      if (answer instanceof Error && first) throw neither(answer);
      let out: LimitsQuery | FoundLimits;
      try {
        out = query.next(answer);
      } catch (e) {
        throw neither(e);
      }
      return 'argv' in out ? viaSlurmWrapper(out, dialect, false) : { limits: out.limits, scheduler: slurmWrapperScheduler(dialect) };
    },
  };
}

/** `qmgr -c 'print server'`; a missing qmgr (not installed, exit 127) means Slurm's Torque wrappers, which ship qsub/qstat/qdel but no qmgr. */
function pbsLimits(dialect: PbsDialect, user: string): LimitsQuery {
  return {
    argv: qmgrPrintServerArgv(),
    mayBeMissing: true,
    next(r) {
      if (!(r instanceof Error) && r.exitCode === 0) {
        const l = parseQmgrServer(r.stdout, { user });
        return { limits: { maxArraySize: l.maxArraySize, maxSubmitJobs: l.maxQueued, accounting: false } };
      }
      // a PBS server that does not let this user read its configuration: run without its limits
      if (!(r instanceof Error) && r.exitCode !== 127) return { limits: { accounting: false } };
      return viaSlurmWrapper(slurmLimits(user), dialect);
    },
  };
}

/** The PBS binding of one dialect, talking to a PBS server (limits discovery rebinds to Slurm's qsub wrapper when that is what answers). */
export function pbsScheduler(dialect: PbsDialect): PbsBinding {
  return {
    ...pbsScript(dialect),
    backend: 'pbs',
    logPattern(layout: EnsembleLayout, label: string, stream: 'out' | 'err'): string {
      // PBS Pro ≥ 19.1: -o/-e naming a directory gives one <subjob id>.OU / .ER per subjob (OpenPBS issue #1108, PR #892)
      if (dialect === 'pro') return layout.jobLogsDir;
      return join(layout.jobLogsDir, `${label}.${stream}`);
    },
    logFile(layout: EnsembleLayout, label: string, jobId: string, index: number): string {
      if (dialect === 'pro') return join(layout.jobLogsDir, `${subjobId(jobId, index)}.ER`);
      // Torque copies a subjob's stderr to the -e path with "-<index>" appended (unverified: no Torque to test on)
      return join(layout.jobLogsDir, `${label}.err-${index}`);
    },
    limits: (user: string) => pbsLimits(dialect, user),
    submitArgv: (script: string) => qsubArgv(script),
    statusArgv(ids: string[], _accounting: boolean, forgotten: readonly string[] = []): string[] {
      // one unknown id fails the whole qstat (exit > 0): ids qstat called unknown are left out; an array that is
      // gone still resolves, its elements without a record become lost after BatchRun's grace period
      const known = ids.filter((id) => !forgotten.some((g) => sameJob(g, id)));
      // all gone: ask anyway (the answer is "unknown" again, which is the truth)
      const ask = known.length > 0 ? known : ids;
      return dialect === 'pro' ? qstatProArgv(ask) : qstatTorqueArgv(ask);
    },
    parseStatus: (stdout: string) => (dialect === 'pro' ? parseQstatJson(stdout) : parseQstatFull(stdout, 'torque')),
    unknownJobs: (stderr: string) => (isUnknownJobError(stderr) ? parseUnknownJobIds(stderr) : null),
    queryError: (argv: string[], stderr: string, exitCode: number) => classifyQueryError(argv, stderr, exitCode),
    statusByIndex: (statuses, jobId) => pbsStatusByIndex(statuses, jobId),
    findArgv: (name: string) => qselectArgv(dialect, name),
    parseFind: parseQselectOutput,
    refine: applyPbsKill,
  };
}
