// Slurm as a BatchScheduler: its argv builders and parsers bound to the contract, plus sbatch script conventions (templates/slurm/).
import { join } from 'node:path';
import type { EnsembleLayout } from '../../layout/layout.js';
import type { PlanFile } from '../../plan/plan.js';
import type { BatchScheduler, Directive, StatusOptions } from '../contract.js';
import type { ElementStatus } from '../types.js';
import { findArgv, sacctArgv, sbatchArgv, scancelArgv, scancelPendingArgv, squeueArgv } from './argv.js';
import { classifyQueryError, classifySbatchError, isUnknownJobError } from './errors.js';
import { slurmLimits } from './limits.js';
import { applyMemoryKill } from './memory-kill.js';
import { parseSacctOutput, parseSqueueOutput, statusByIndex } from './parse-status.js';
import { parseFindOutput, parseSbatchOutput } from './parse-submit.js';

/** `#SBATCH` flags of the config's resources (extra directives pass through by name). */
export function slurmDirectives(plan: PlanFile): Directive[] {
  const r = plan.executor.resources;
  const d: Directive[] = [];
  const add = (flag: string, v: string | number | undefined) => {
    if (v !== undefined) d.push({ flag, value: String(v) });
  };
  add('time', r.time);
  add('mem', r.mem);
  add('cpus-per-task', r.cpus);
  add('gpus', r.gpus);
  add('partition', r.partition);
  add('account', r.account);
  add('qos', r.qos);
  for (const [k, v] of Object.entries(r.extra ?? {})) add(k, v);
  return d;
}

export const slurmScheduler: BatchScheduler = {
  name: 'Slurm',
  template: 'slurm/array.sbatch',
  scriptExt: 'sbatch',
  indexVars: ['SLURM_ARRAY_TASK_ID'],
  jobIdVars: ['SLURM_ARRAY_JOB_ID'],
  // %A = array job id, %a = array index (sbatch(1), "filename pattern")
  logPattern: (layout: EnsembleLayout, label: string, stream: 'out' | 'err') => join(layout.jobLogsDir, `${label}-%A_%a.${stream}`),
  logFile: (layout: EnsembleLayout, label: string, jobId: string, index: number) => join(layout.jobLogsDir, `${label}-${jobId}_${index}.err`),
  directives: slurmDirectives,
  // kill-on-invalid-dep: with afterok, a failed upstream element cancels this job instead of leaving it pending forever
  dependency: ({ kind, jobIds }) => [
    { flag: 'dependency', value: `${kind}:${jobIds.join(':')}` },
    ...(kind === 'afterok' ? [{ flag: 'kill-on-invalid-dep', value: 'yes' }] : []),
  ],
  limits: slurmLimits,
  submitArgv: sbatchArgv,
  parseSubmit: (stdout: string) => parseSbatchOutput(stdout).jobId,
  submitError: (stderr: string, exitCode: number, script: string) => classifySbatchError(stderr, exitCode, { script }),
  statusArgv: (ids: string[], accounting: boolean, _forgotten?: readonly string[], options?: StatusOptions) =>
    accounting ? sacctArgv(ids) : squeueArgv(ids, { stateOnly: options?.stateOnly }),
  parseStatus: (stdout: string, accounting: boolean) => (accounting ? parseSacctOutput(stdout) : parseSqueueOutput(stdout)),
  // squeue names no id: "Invalid job id specified" comes only when the one id asked for is gone
  unknownJobs: (stderr: string) => (isUnknownJobError(stderr) ? [] : null),
  queryError: (argv: string[], stderr: string, exitCode: number) => classifyQueryError(argv, stderr, exitCode),
  statusByIndex: (statuses: ElementStatus[], jobId: string) => statusByIndex(statuses, jobId),
  findArgv,
  parseFind: parseFindOutput,
  cancelArgv: scancelArgv,
  cancelPendingArgv: scancelPendingArgv,
  refine: applyMemoryKill,
};
