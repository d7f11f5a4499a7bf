// PBS scripts through Slurm's Torque wrappers (slurm-wlm-torque): qsub and qdel work, but its qstat cannot name array elements, so status and find-by-name go to squeue/sacct.
import { basename, dirname, resolve } from 'node:path';
import { SchedulerError } from '../../errors.js';
import { EnsembleLayout } from '../../layout/layout.js';
import type { ElementStatus } from '../types.js';
import { slurmScheduler } from '../slurm/binding.js';
import { qsubArgv } from './argv.js';
import { type PbsBinding, SCRIPT_EXT, pbsScript } from './script.js';
import type { PbsDialect } from './states.js';

/** The ensemble layout and submission label of a rendered script path (the inverse of EnsembleLayout.script), or null. */
function scriptOwner(script: string): { layout: EnsembleLayout; label: string } | null {
  const m = /^chunk-(.+)\.pbs$/.exec(basename(script));
  if (!m) return null;
  const layout = new EnsembleLayout(resolve(dirname(script), '..', '..'));
  return layout.script(m[1], SCRIPT_EXT) === resolve(script) ? { layout, label: m[1] } : null;
}

/** The PBS binding of one dialect when Slurm answers behind its qsub wrapper (found by limits discovery: no qmgr, but scontrol). */
export function slurmWrapperScheduler(dialect: PbsDialect): PbsBinding {
  // logs as sbatch(1) names them (%A_%a): the wrapper hands -o/-e to sbatch
  const { logPattern, logFile } = slurmScheduler;
  return {
    ...pbsScript(dialect),
    backend: 'slurm-wrapper',
    logPattern,
    logFile,
    limits: slurmScheduler.limits,
    submitArgv(script: string): string[] {
      // Slurm's qsub puts its own -o/-e (<script>.o%A, in the submitter's cwd) on the sbatch command
      // line, which beats the script's #PBS -o/-e: name the log files on the qsub command line instead.
      const owner = scriptOwner(script);
      if (!owner) throw new SchedulerError(`cannot tell the ensemble of ${script}, so the qsub wrapper's log files cannot be placed`);
      return qsubArgv(script, {
        stdout: logPattern(owner.layout, owner.label, 'out'),
        stderr: logPattern(owner.layout, owner.label, 'err'),
        viaShell: true,
      });
    },
    statusArgv: slurmScheduler.statusArgv,
    parseStatus: slurmScheduler.parseStatus,
    unknownJobs: slurmScheduler.unknownJobs,
    queryError: slurmScheduler.queryError,
    statusByIndex(statuses: ElementStatus[], jobId: string): Map<number, ElementStatus> {
      const byIndex = slurmScheduler.statusByIndex(statuses, jobId);
      // a one-element chunk is a plain job (PBS Pro refuses arrays of one): squeue shows it without a task id
      const plain = statuses.find((s) => s.arrayJobId === jobId && s.index === null && s.range === undefined);
      if (plain && !byIndex.has(0)) byIndex.set(0, { ...plain, index: 0 });
      return byIndex;
    },
    findArgv: slurmScheduler.findArgv,
    parseFind: slurmScheduler.parseFind,
    refine: slurmScheduler.refine,
  };
}
