// The task record: what the node-side wrapper appends (one JSON line per finished task) to its record file.

/**
 * Final state of one attempt of one task. `interrupted`: the run was stopped (Ctrl-C, or the controller died) while
 * the attempt ran, so it has no outcome: the task is still pending, its attempt is not a failure, and the next run
 * (`resume`) gives it the next attempt.
 */
export type TaskStatus = 'done' | 'failed' | 'interrupted';

/**
 * Where the times of a record written on a task's behalf come from (records/on-behalf.ts), when not from the task's own
 * record of the attempt:
 * - `task_start`: the start its element's runner noted when it started the task (records/starts.ts), and the
 *   scheduler's end of the element (without one, when the controller noticed, but no later than the start plus the
 *   element's time limit): the task was running when its element ended;
 * - `not_started`: both are the scheduler's end of the element (when the controller noticed, without one): its start
 *   lines say the task never started (duration 0; the reason says so too);
 * - `element`: the scheduler's start and end of the array element, whose first task this was (its duration is the
 *   element's, staging included), when the element left no start lines (one task per element, or killed before it began);
 * - `element_end`: both are the scheduler's end of the element: not its first task (a bundle's) and no start lines, or
 *   the element never started, so the task may never have started and when it did is unknown (duration 0);
 * - `noticed`: both are when the controller wrote the record: the scheduler gave no times, or the attempt never started
 *   (duration 0).
 */
export type TimesSource = 'task_start' | 'not_started' | 'element' | 'element_end' | 'noticed';

export interface TaskRecord {
  /** Task id (index in the task table). */
  task: number;
  /** 1 for the first attempt. */
  attempt: number;
  status: TaskStatus;
  /** Readable failure reason, starting with its category: "exit code 3", "timeout: ...", "no result: ...",
   *  "bad result: ...", "result too large: ...", "lost: ...", "out of memory: ...", "cancelled: ...", "node failure: ...". null when done. */
  reason: string | null;
  exit_code: number | null;
  /** Signal that ended the simulation, e.g. "SIGKILL" (null when it exited). */
  signal: string | null;
  host: string;
  /** Scheduler job id of the array element (null on the local executor). */
  job_id: string | null;
  /** ISO-8601 UTC start and end of the attempt. */
  start: string;
  end: string;
  duration_s: number;
  /** The simulation's result: a flat object of scalars (null when failed). */
  result: Record<string, string | number | boolean | null> | null;
  /** Last lines of the simulation's stderr: in every failure record the wrapper writes ('' when no simulation ran). */
  stderr_tail?: string;
  /** The scratch root the task ran under (executor.scratch resolved on the node); wrapper records only. */
  scratch?: string;
  /** Who wrote it: the task wrapper, or the controller/reconciler on behalf of a task that died without a record. */
  source?: 'wrapper' | 'controller' | 'scheduler';
  /** Where `start` and `end` come from in a record written on a task's behalf ({@link TimesSource}); absent when the task's run measured them. */
  times?: TimesSource;
  /** How many times the attempt ran (records/runs.ts): set on final records by the final-record selection, never written to a record file. */
  runs?: number;
}

/** Whether a (final) record ends its task with a row: done or failed, not interrupted (a pending task, owed another attempt). */
export function endsTask(r: TaskRecord | undefined): r is TaskRecord {
  return r !== undefined && r.status !== 'interrupted';
}

/** What the controller decides by of a task's final record: a record itself serves, or a few bytes of it kept in columns (final-marks.ts). */
export type FinalBrief = Pick<TaskRecord, 'task' | 'attempt' | 'status' | 'reason' | 'source' | 'duration_s'>;

/** Each task's final record so far, by task id, as the batch loop reads it: a `Map` of records serves, or the columns of final-marks.ts. */
export interface FinalsView {
  get(task: number): FinalBrief | undefined;
  has(task: number): boolean;
  /** Tasks with a final record (an interrupted one included). */
  readonly size: number;
}
