// The name of an element's starts file (records/starts.ts): the runner on the node (node/main.ts, from the scheduler's
// environment) and the controller settling the element (executor/settle.ts, from what the submit command printed) must
// name the same file, on every scheduler, or the controller silently finds no start lines.
import t from 'tap';
import { startsName } from '../../src/executor/settle.js';
import type { Submission } from '../../src/journal/submissions.js';
import { elementNames, indexFromEnv, jobIdFromEnv } from '../../src/node/main.js';
import type { BatchScheduler } from '../../src/scheduler/contract.js';
import { pbsScheduler } from '../../src/scheduler/pbs/binding.js';
import { slurmWrapperScheduler } from '../../src/scheduler/pbs/slurm-wrapper.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';

interface Case {
  name: string;
  sched: BatchScheduler;
  /** What the submit command printed. */
  stdout: string;
  /** What the scheduler sets in element 3 of that array job. */
  env: NodeJS.ProcessEnv;
  /** `--index 0`: a one-element chunk PBS Pro runs as a plain job. */
  index?: number;
}

const CASES: Case[] = [
  { name: 'Slurm', sched: slurmScheduler, stdout: '4711\n', env: { SLURM_ARRAY_JOB_ID: '4711', SLURM_ARRAY_TASK_ID: '3', SLURM_JOB_ID: '4714' } },
  { name: 'Slurm, a federation', sched: slurmScheduler, stdout: '4711;cl2\n', env: { SLURM_ARRAY_JOB_ID: '4711', SLURM_ARRAY_TASK_ID: '3', SLURM_JOB_ID: '4714' } },
  { name: 'PBS Pro', sched: pbsScheduler('pro'), stdout: '4711[].pbs01\n', env: { PBS_ARRAY_ID: '4711[].pbs01', PBS_ARRAY_INDEX: '3', PBS_JOBID: '4711[3].pbs01' } },
  { name: 'PBS Pro, a plain job', sched: pbsScheduler('pro'), stdout: '4712.pbs01\n', env: { PBS_JOBID: '4712.pbs01' }, index: 0 },
  // Torque sets no PBS_ARRAY_ID: the runner has only its subjob's id, the controller the array's
  { name: 'Torque', sched: pbsScheduler('torque'), stdout: '4711[].pbs01\n', env: { PBS_ARRAYID: '3', PBS_JOBID: '4711[3].pbs01' } },
  // what Slurm's qsub wrapper (slurm-wlm-torque) sets, as read from a job on the test cluster
  { name: "Slurm's qsub wrapper, Torque dialect", sched: slurmWrapperScheduler('torque'), stdout: '4711\n', env: { PBS_ARRAY_ID: '4711', PBS_ARRAY_INDEX: '3', PBS_JOBID: '4714', SLURM_ARRAY_JOB_ID: '4711' } },
  { name: "Slurm's qsub wrapper, PBS Pro dialect", sched: slurmWrapperScheduler('pro'), stdout: '4711\n', env: { PBS_ARRAY_ID: '4711', PBS_ARRAY_INDEX: '3', PBS_JOBID: '4714', SLURM_ARRAY_JOB_ID: '4711' } },
];

t.test('runner and controller name the same starts file from what each is given, on every scheduler', async (t) => {
  for (const c of CASES) {
    for (const tasksFile of [undefined, 'plan/r2-tasks.json']) {
      // the runner: the array index and job id from the element's environment, as `arrayflow task --index-from --job-id-from` reads them
      const index = c.index ?? indexFromEnv(c.sched.indexVars, c.env);
      const jobId = jobIdFromEnv(c.sched.jobIdVars, index, c.env);
      const runner = elementNames({ index, offset: 40, attempt: 2, jobId, tasksFile: tasksFile && `/scratch/ada/sweep/${tasksFile}` }).starts;
      // the controller: the submission as journalled (the job id qsub/sbatch printed; the list relative to the ensemble)
      const sub: Submission = { label: tasksFile ? 'r2' : '0005', jobId: c.sched.parseSubmit(c.stdout), offset: 40, count: 8, attempt: 2, ...(tasksFile ? { tasksFile } : {}) };
      const controller = startsName(sub, index);
      t.equal(runner, controller, `${c.name}${tasksFile ? ', a listed resubmission' : ''}: ${runner}`);
    }
  }
});
