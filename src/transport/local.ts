// The local transport: runs commands on this host with execa (no shell), counting calls per program.
import { execa } from 'execa';
import { TransportError } from '../errors.js';
import type { CommandResult, Transport } from './transport.js';

export class LocalTransport implements Transport {
  readonly calls = new Map<string, number>();

  async run(argv: string[], opts: { timeoutMs?: number } = {}): Promise<CommandResult> {
    this.calls.set(argv[0], (this.calls.get(argv[0]) ?? 0) + 1);
    const r = await execa(argv[0], argv.slice(1), { reject: false, stdin: 'ignore', timeout: opts.timeoutMs ?? 60_000 });
    if (r.failed && r.exitCode === undefined) {
      const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : r.originalMessage ?? r.message;
      throw new TransportError(`could not run ${argv.join(' ')}: ${why}`, { cause: r.cause });
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 1 };
  }

  async close(): Promise<void> {}
}
