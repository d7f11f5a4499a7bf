// Slurm as a BatchScheduler: the pure adapter of src/scheduler/slurm.ts plus sbatch script conventions.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { EnsembleLayout } from '../layout/layout.js';
import type { PlanFile } from '../plan/plan.js';
import * as slurm from '../scheduler/slurm.js';
import type { Transport } from '../transport/transport.js';
import type { BatchScheduler } from './batch.js';

/** `#SBATCH` flags of the config's resources (extra directives pass through by name). */
export function slurmDirectives(plan: PlanFile): Array<{ flag: string; value: string }> {
  const r = plan.executor.resources;
  const d: Array<{ flag: string; value: string }> = [];
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
  template: 'slurm.sbatch',
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
  async readLimits(t: Transport) {
    const argv = slurm.scontrolConfigArgv();
    const r = await t.run(argv, { idempotent: true });
    if (r.exitCode !== 0) throw slurm.classifyQueryError(argv, r.stderr, r.exitCode);
    const config = slurm.parseScontrolConfig(r.stdout);
    let maxSubmitJobs: number | undefined;
    if (config.accounting && config.limitsEnforced) {
      // over SSH the limits are those of the login user, not of the workstation's
      const q = await t.run(slurm.sacctmgrLimitsArgv(t.user ?? userInfo().username), { idempotent: true });
      if (q.exitCode === 0) maxSubmitJobs = slurm.parseSacctmgrLimits(q.stdout, { cluster: config.clusterName }).maxSubmitJobs;
    }
    return { maxArraySize: config.maxArraySize, maxJobCount: config.maxJobCount, maxSubmitJobs, accounting: config.accounting };
  },
  submitArgv: slurm.sbatchArgv,
  parseSubmit: (stdout: string) => slurm.parseSbatchOutput(stdout).jobId,
  submitError: (stderr: string, exitCode: number, script: string) => slurm.classifySbatchError(stderr, exitCode, { script }),
  statusArgv: (ids: string[], accounting: boolean) => (accounting ? slurm.sacctArgv(ids) : slurm.squeueArgv(ids)),
  parseStatus: (stdout: string, accounting: boolean) => (accounting ? slurm.parseSacctOutput(stdout) : slurm.parseSqueueOutput(stdout)),
  unknownJobs: slurm.isUnknownJobError,
  queryError: (argv: string[], stderr: string, exitCode: number) => slurm.classifyQueryError(argv, stderr, exitCode),
  statusByIndex: slurm.statusByIndex,
  findArgv: (name: string, accounting: boolean) =>
    accounting
      ? ['sacct', '-X', '-n', '-P', '--name', name, '-S', 'now-30days', '-o', 'JobID']
      : ['squeue', '-h', '-t', 'all', '--name', name, '-o', '%F'],
  parseFind: (stdout: string) => [...new Set(stdout.split('\n').map((l) => /^([0-9]+)/.exec(l.trim())?.[1]).filter((x): x is string => !!x))],
  cancelArgv: slurm.scancelArgv,
  refine: slurm.applyMemoryKill,
};
