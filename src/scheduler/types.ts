// Scheduler-neutral status types shared by the Slurm and PBS adapters: states, element status, failure reasons.

/**
 * The state of one array element (or a non-array job), normalised across schedulers.
 * Each adapter maps its own codes onto these with a literal table and keeps the raw code in
 * {@link ElementStatus.rawState}.
 */
export type SchedulerState =
  | 'pending'
  | 'running'
  | 'completing'
  | 'completed'
  | 'failed'
  | 'timeout'
  | 'out_of_memory'
  | 'node_fail'
  | 'preempted'
  | 'cancelled'
  | 'boot_fail'
  | 'deadline'
  | 'unknown';

/** Every {@link SchedulerState}, in lifecycle order (non-final first). */
export const SCHEDULER_STATES: readonly SchedulerState[] = [
  'unknown',
  'pending',
  'running',
  'completing',
  'completed',
  'failed',
  'timeout',
  'out_of_memory',
  'node_fail',
  'preempted',
  'cancelled',
  'boot_fail',
  'deadline',
];

// the final states are the tail of SCHEDULER_STATES, from 'completed' on
const FINAL: ReadonlySet<SchedulerState> = new Set(SCHEDULER_STATES.slice(SCHEDULER_STATES.indexOf('completed')));

/**
 * True when the scheduler will not run this element again by itself. `unknown` is not final:
 * keep polling (with backoff) until the scheduler or a marker says more.
 */
export function isFinal(state: SchedulerState): boolean {
  return FINAL.has(state);
}

/** What one status line of a scheduler says about one array element or pending range. */
export interface ElementStatus {
  /** The id the submit command printed (Slurm: SLURM_ARRAY_JOB_ID; the job id for a non-array job). */
  arrayJobId: string;
  /** Array task id; null for a pending-remainder line (see `range`) or a non-array job. */
  index: number | null;
  /** The indexes a pending-remainder line stands for, as the scheduler prints them, e.g. `2-99%10`. */
  range?: string;
  /** The element's own job id (Slurm: SLURM_JOB_ID, sacct JobIDRaw); absent while pending and for range lines. */
  rawJobId?: string;
  state: SchedulerState;
  /** The scheduler's own state word, verbatim (e.g. `CANCELLED by 0`). */
  rawState: string;
  /** Exit status of the batch script; only set for final states. */
  exitCode?: number;
  /** Signal that ended the batch script (e.g. 9); only set when non-zero and final. */
  signal?: number;
  /** The scheduler's reason (pending reason, or why it ended), when it gave one. */
  reason?: string;
  /** Node(s) the element ran on. */
  node?: string;
  /** Which scheduler reported this, for messages: `Slurm`, `PBS`. */
  scheduler?: string;
  /** When the element started (ISO-8601 UTC), as the scheduler says; only once it started (not its estimate while pending). */
  start?: string;
  /** When the element ended (ISO-8601 UTC), as the scheduler says; only for final states (not the expected end of a running one). */
  end?: string;
}

const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
};

/** `9` → `SIGKILL` (the name a task record's `signal` holds); a number without a name as itself, `31`. */
export function signalName(signal: number): string {
  return SIGNAL_NAMES[signal] ?? String(signal);
}

/** `9` → `signal 9 (SIGKILL)`. */
export function describeSignal(signal: number): string {
  const name = SIGNAL_NAMES[signal];
  return name === undefined ? `signal ${signal}` : `signal ${signal} (${name})`;
}

/** ` (Slurm TIMEOUT)`: the scheduler's own words, so a user can look them up. */
function raw(s: ElementStatus): string {
  return s.rawState ? ` (${s.scheduler ?? 'scheduler state'} ${s.rawState})` : '';
}

/**
 * A readable reason why a final element did not succeed, starting with its category
 * (`timeout:`, `out of memory:`, `node failure:`, `preempted:`, `cancelled:`, `boot failure:`,
 * `deadline:`, `killed by signal N`, `exit code N`, `failed:`), or null when it succeeded or has
 * not ended yet.
 */
export function failureReason(status: ElementStatus): string | null {
  const on = status.node ? ` on ${status.node}` : '';
  switch (status.state) {
    case 'pending':
    case 'running':
    case 'completing':
    case 'unknown':
      return null;
    case 'completed':
      // Slurm's COMPLETED means exit 0; a PBS adapter may report "completed" with a code.
      if (status.exitCode !== undefined && status.exitCode !== 0) return `exit code ${status.exitCode}`;
      return null;
    case 'timeout':
      return `timeout: the array element hit its time limit${raw(status)}; give it more with executor.resources.time (an element runs its whole bundle within it), or each retry more with executor.retry_scale.time`;
    case 'out_of_memory':
      return `out of memory: the array element used more memory than it requested${on}${raw(status)}; give it more with executor.resources.mem, or each retry more with executor.retry_scale.mem`;
    case 'node_fail':
      return `node failure: the node running the array element failed${on}${raw(status)}`;
    case 'preempted':
      return `preempted: the scheduler stopped the array element to run other work${raw(status)}`;
    case 'cancelled':
      return `cancelled: the array element was cancelled before it finished${raw(status)}`;
    case 'boot_fail':
      return `boot failure: the node for the array element failed to boot${on}${raw(status)}`;
    case 'deadline':
      return `deadline: the array element could not finish before its deadline${raw(status)}`;
    case 'failed':
      if (status.exitCode !== undefined && status.exitCode !== 0) return `exit code ${status.exitCode}`;
      if (status.signal !== undefined) {
        return (
          `killed by ${describeSignal(status.signal)}` +
          (status.signal === 9
            ? ': if the job asked for memory, check its stderr for an over-memory kill'
            : '')
        );
      }
      return `failed: the scheduler reported a failure without an exit code${
        status.reason ? ` (reason ${status.reason})` : ''
      }${raw(status)}`;
  }
}
