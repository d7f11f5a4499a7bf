// The batch scheduler binding of each executor type of EXECUTOR_TYPES: adding a scheduler adds one line here.
import type { ExecutorType } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { BatchScheduler } from './batch.js';
import { pbsScheduler } from './pbs.js';
import { slurmScheduler } from './slurm.js';

type Dialect = 'pro' | 'torque';

// typed by the list, so a type without a binding (or a binding without a type) does not compile
const BINDINGS: Record<Exclude<ExecutorType, 'local'>, (dialect: Dialect) => BatchScheduler> = {
  slurm: () => slurmScheduler,
  pbs: (dialect) => pbsScheduler(dialect),
};

/** The batch scheduler binding of an executor type (PBS in its Pro or Torque dialect). */
export function batchScheduler(type: ExecutorType, dialect: Dialect = 'pro'): BatchScheduler {
  if (type === 'local') throw new UsageError('the local executor has no batch scheduler: set executor.type to slurm or pbs');
  return BINDINGS[type](dialect);
}
