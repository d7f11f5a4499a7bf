// PBS kills seen in a job's stderr: the MoM's own words for a walltime or memory kill.
import type { ElementStatus } from '../types.js';

// The MoM's words on the job's stderr when it kills a job over a limit (PBS Pro and Torque share
// them: "=>> PBS: job killed: walltime 152 exceeded limit 120", "... mem 2098176kb exceeded limit 1048576kb").
const WALLTIME_KILL_RE = /^=>> PBS: job killed: (?:walltime|cput) \S+ exceeded limit/im;
const MEMORY_KILL_RE = /^=>> PBS: job killed: (?:p?v?mem) \S+ exceeded limit/im;

/** A failed/cancelled status turned into timeout or out_of_memory when the job's stderr shows that PBS killed it for that. */
export function applyPbsKill(status: ElementStatus, stderrText: string): ElementStatus {
  if (status.state !== 'failed' && status.state !== 'cancelled') return status;
  if (WALLTIME_KILL_RE.test(stderrText)) return { ...status, state: 'timeout' };
  if (MEMORY_KILL_RE.test(stderrText)) return { ...status, state: 'out_of_memory' };
  return status;
}
