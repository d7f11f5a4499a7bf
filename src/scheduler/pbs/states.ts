// PBS state tables (PBS Pro, Torque, Slurm's qstat wrapper) and the final state an exit status stands for.
import type { ElementStatus, SchedulerState } from '../types.js';

/** The two PBS families: PBS Professional / OpenPBS (`-J`, `qstat -F json`) and Torque (`-t`, text only). */
export type PbsDialect = 'pro' | 'torque';

// PBS Pro / OpenPBS job states, qstat(1B) "The job's state". F (finished) and X (subjob finished or
// deleted) are final; which final state depends on Exit_status (see stateFromExit).
const PRO_STATES: Readonly<Record<string, SchedulerState>> = {
  Q: 'pending', // queued
  H: 'pending', // held: runs only after qrls
  W: 'pending', // waiting for its start time (or a stage-in failure)
  T: 'pending', // being moved to a new location
  M: 'unknown', // moved to another server: ask that server
  R: 'running',
  B: 'running', // array with at least one subjob running
  S: 'running', // suspended: keeps its allocation and resumes by itself
  U: 'running', // cycle-harvesting job suspended by keyboard activity
  E: 'completing', // exiting after having run
  F: 'completed',
  X: 'completed',
};

// Torque job states, qstat(1) (Torque): C = completed (kept keep_completed seconds), E = exiting.
const TORQUE_STATES: Readonly<Record<string, SchedulerState>> = {
  Q: 'pending',
  H: 'pending',
  W: 'pending',
  T: 'pending',
  R: 'running',
  S: 'running',
  E: 'completing',
  C: 'completed',
};

// Slurm's qstat wrapper (stateCode in /usr/bin/qstat): C for every ended job, whatever the reason.
const SLURM_WRAPPER_STATES: Readonly<Record<string, SchedulerState>> = {
  Q: 'pending',
  R: 'running',
  S: 'running',
  C: 'completed',
  U: 'unknown',
};

/** Which program printed a qstat answer. */
export type QstatFlavour = PbsDialect | 'slurm-wrapper';

/** Maps a one-letter PBS job state to a SchedulerState (final letters before looking at the exit status). */
export function mapPbsState(letter: string, flavour: QstatFlavour): SchedulerState {
  const table = flavour === 'pro' ? PRO_STATES : flavour === 'torque' ? TORQUE_STATES : SLURM_WRAPPER_STATES;
  return table[letter.trim().toUpperCase()] ?? 'unknown';
}

// Negative exit statuses are set by the MoM, not the job. PBS Pro: src/include/job.h (JOB_EXEC_*);
// Torque: "Job Exit Status" in the Torque admin guide. Only the ones that name a cause are mapped.
const PRO_EXEC_CODES: Readonly<Record<number, [SchedulerState, string]>> = {
  [-1]: ['failed', 'JOB_EXEC_FAIL1: the job could not start (before files), no retry'],
  [-2]: ['failed', 'JOB_EXEC_FAIL2: the job could not start (after files), no retry'],
  [-3]: ['failed', 'JOB_EXEC_RETRY: the job could not start, retry'],
  [-4]: ['node_fail', 'JOB_EXEC_INITABT: the job was aborted when its MoM initialised'],
  [-10]: ['failed', 'JOB_EXEC_FAILUID: invalid uid/gid for the job'],
  [-14]: ['node_fail', 'JOB_EXEC_RERUN_SIS_FAIL: a sister MoM failed'],
  [-20]: ['node_fail', 'JOB_EXEC_RERUN_MS_FAIL: the mother superior connection failed'],
  [-24]: ['failed', 'JOB_EXEC_KILL_NCPUS_BURST: used more CPUs than requested'],
  [-25]: ['failed', 'JOB_EXEC_KILL_NCPUS_SUM: used more CPUs than requested'],
  [-26]: ['out_of_memory', 'JOB_EXEC_KILL_VMEM: exceeded its vmem limit'],
  [-27]: ['out_of_memory', 'JOB_EXEC_KILL_MEM: exceeded its mem limit'],
  [-28]: ['timeout', 'JOB_EXEC_KILL_CPUT: exceeded its cput limit'],
  [-29]: ['timeout', 'JOB_EXEC_KILL_WALLTIME: exceeded its walltime'],
};

const TORQUE_EXEC_CODES: Readonly<Record<number, [SchedulerState, string]>> = {
  [-1]: ['failed', 'JOB_EXEC_FAIL1: the job could not start (before files), no retry'],
  [-2]: ['failed', 'JOB_EXEC_FAIL2: the job could not start (after files), no retry'],
  [-3]: ['failed', 'JOB_EXEC_RETRY: the job could not start, retry'],
  [-4]: ['node_fail', 'JOB_EXEC_INITABT: the job was aborted when its MoM initialised'],
  [-8]: ['failed', 'JOB_EXEC_CMDFAIL: exec() of the job script failed'],
  [-9]: ['failed', 'JOB_EXEC_STDOUTFAIL: could not create/open the stdout/stderr files'],
  [-10]: ['out_of_memory', 'JOB_EXEC_OVERLIMIT_MEM: exceeded a memory limit'],
  [-11]: ['timeout', 'JOB_EXEC_OVERLIMIT_WT: exceeded its walltime'],
  [-12]: ['timeout', 'JOB_EXEC_OVERLIMIT_CPUT: exceeded its CPU time limit'],
  [-13]: ['failed', 'JOB_EXEC_RETRY_CGROUP: could not create the job\'s cgroups'],
  [-14]: ['failed', 'JOB_EXEC_RETRY_PROLOGUE: the prologue failed'],
};

/**
 * The final state an ended job's exit status stands for. 0: completed. 1..256: the script's exit
 * code (128+N when the shell saw a child die of signal N). Above 256: PBS killed the top process with
 * signal (status − 256) — 271 = SIGTERM, 265 = SIGKILL, which is how a walltime or qdel kill looks
 * on PBS Pro before JOB_EXEC_KILL_WALLTIME existed (check the job's stderr, see applyPbsKill).
 * Negative: set by the MoM (JOB_EXEC_* codes), e.g. -29 walltime (PBS Pro ≥ 2020), -11 walltime (Torque).
 * No exit status at all: the job never ran (deleted while queued).
 */
export function stateFromExit(
  dialect: PbsDialect,
  exitStatus: number | undefined,
): Pick<ElementStatus, 'state' | 'exitCode' | 'signal' | 'reason'> {
  if (exitStatus === undefined) return { state: 'cancelled', reason: 'ended without an exit status (deleted before it ran)' };
  if (exitStatus === 0) return { state: 'completed', exitCode: 0 };
  if (exitStatus < 0) {
    const known = (dialect === 'pro' ? PRO_EXEC_CODES : TORQUE_EXEC_CODES)[exitStatus];
    if (known) return { state: known[0], reason: `${known[1]} (exit status ${exitStatus})` };
    return { state: 'failed', reason: `PBS exit status ${exitStatus}: the MoM could not run or finish the job` };
  }
  if (exitStatus > 256) return { state: 'failed', signal: exitStatus - 256 };
  return { state: 'failed', exitCode: exitStatus };
}
