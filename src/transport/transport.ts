// Transports run scheduler commands: on this host (execa) or on a login node (SSH). Adapters only build argv.
import { TransportError } from '../errors.js';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface Transport {
  /**
   * Runs argv (no shell on this side) and resolves with its output; rejects only when it cannot be started.
   * `idempotent: true` (status queries) lets a remote transport rerun the command after a dropped
   * connection; otherwise (sbatch) a drop mid-call rejects with a TransportError whose `uncertain` is true.
   */
  run(argv: string[], opts?: { timeoutMs?: number; idempotent?: boolean }): Promise<CommandResult>;
  /** How many times each program was run (argv[0], or the program after `env NAME=value…` -> count): the scheduler-citizenship figures. */
  readonly calls: Map<string, number>;
  /** The account commands run as when it is not this process's user (SSH: the login user), for per-user limits. */
  readonly user?: string;
  close(): Promise<void>;
}

/**
 * True when the error says a non-idempotent command (sbatch) may have run although its answer was
 * lost: look for the job (e.g. squeue --name) before submitting it again.
 */
export function isUncertain(e: unknown): e is TransportError {
  return e instanceof TransportError && e.uncertain;
}
