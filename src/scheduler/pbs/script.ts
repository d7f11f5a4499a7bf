// What every PBS binding shares, whoever answers qsub (a PBS server or Slurm's Torque wrappers): the dialect's template and variables, directives, dependencies, qsub's answers, qdel.
import type { PlanFile } from '../../plan/plan.js';
import type { BatchScheduler } from '../contract.js';
import { qdelArgv } from './argv.js';
import { pbsDirectives } from './directives.js';
import { classifyQsubError } from './errors.js';
import { parseQsubOutput } from './parse-submit.js';
import type { PbsDialect } from './states.js';

/** Who answers the PBS commands: a PBS Pro / OpenPBS or Torque server, or Slurm with its Torque wrappers (slurm-wlm-torque). */
export type PbsBackend = 'pbs' | 'slurm-wrapper';

/** A PBS binding, and which backend it talks to. */
export type PbsBinding = BatchScheduler & { readonly backend: PbsBackend };

export const SCRIPT_EXT = 'pbs';

/** The parts of a PBS binding that depend on the dialect only. */
export function pbsScript(dialect: PbsDialect): Pick<
  BatchScheduler,
  'name' | 'template' | 'scriptExt' | 'indexVars' | 'jobIdVars' | 'directives' | 'dependency' | 'parseSubmit' | 'submitError' | 'cancelArgv'
> {
  return {
    name: 'PBS',
    template: dialect === 'pro' ? 'pbs/pro.pbs' : 'pbs/torque.pbs',
    scriptExt: SCRIPT_EXT,
    // PBS Pro sets PBS_ARRAY_INDEX, Torque PBS_ARRAYID; Slurm's spank_pbs sets only PBS_ARRAY_INDEX
    indexVars: dialect === 'pro' ? ['PBS_ARRAY_INDEX'] : ['PBS_ARRAYID', 'PBS_ARRAY_INDEX'],
    // PBS Pro and Slurm's spank_pbs set PBS_ARRAY_ID (the array's id); Torque only PBS_JOBID (1234[7].server)
    jobIdVars: ['PBS_ARRAY_ID', 'PBS_JOBID'],
    directives: (plan: PlanFile) => pbsDirectives(plan, dialect),
    // PBS Pro qsub(1B): -W depend=afterany:<id>[:<id>...], an array job's id (1234[]) standing for all its subjobs;
    // Torque names the array forms afteranyarray / afterokarray
    dependency: ({ kind, jobIds }) => [{ flag: '-W', value: `depend=${kind}${dialect === 'torque' ? 'array' : ''}:${jobIds.join(':')}` }],
    parseSubmit: parseQsubOutput,
    submitError: (stderr: string, exitCode: number, script: string) => classifyQsubError(stderr, exitCode, script),
    cancelArgv: qdelArgv,
  };
}
