// Where an operation on a planned ensemble runs scheduler commands: here, or over SSH on its login node.
import type { ExecutorSpec } from '../config/types.js';
import { LocalTransport } from '../transport/local.js';
import type { Transport } from '../transport/transport.js';

/** Where scheduler commands run: here, or over SSH on the login node the ensemble was planned with (executor.host). */
export async function schedulerTransport(executor: ExecutorSpec): Promise<Transport> {
  if (!executor.host) return new LocalTransport();
  return (await import('../remote/index.js')).connectLogin(executor.host, executor.remote);
}
