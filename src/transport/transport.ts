// Transports run scheduler commands: on this host (execa) or on a login node (SSH). Adapters only build argv.

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface Transport {
  /** Runs argv (no shell on this side) and resolves with its output; rejects only when it cannot be started. */
  run(argv: string[], opts?: { timeoutMs?: number }): Promise<CommandResult>;
  /** How many times each program was run (argv[0] -> count): the scheduler-citizenship figures. */
  readonly calls: Map<string, number>;
  close(): Promise<void>;
}
