// The binding of each executor type of EXECUTOR_TYPES (src/config/types.ts, which the schema enum and the CLI choices use): adding a scheduler adds one line here.
import type { ExecutorType } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { BatchScheduler } from './contract.js';
import { pbsScheduler } from './pbs/binding.js';
import type { PbsDialect } from './pbs/states.js';
import { slurmScheduler } from './slurm/binding.js';

// typed by the list, so a type without an entry (or an entry without a type) does not compile;
// local has no batch scheduler: its worker pool is src/executor/local.ts
const BINDINGS: Record<ExecutorType, ((dialect: PbsDialect) => BatchScheduler) | null> = {
  local: null,
  slurm: () => slurmScheduler,
  pbs: (dialect) => pbsScheduler(dialect),
};

/** The batch scheduler binding of an executor type (PBS in its Pro or Torque dialect). */
export function batchScheduler(type: ExecutorType, dialect: PbsDialect = 'pro'): BatchScheduler {
  const bind = BINDINGS[type];
  if (!bind) throw new UsageError(`the ${type} executor has no batch scheduler: set executor.type to slurm or pbs`);
  return bind(dialect);
}
