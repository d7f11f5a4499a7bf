// The local transport: runs commands on this host with execa (no shell), counting calls per program.
import { execa } from 'execa';
import { TransportError } from '../errors.js';
import { programOf } from '../util/program.js';
import type { CommandResult, Transport } from './transport.js';

export class LocalTransport implements Transport {
  readonly calls = new Map<string, number>();

  async run(argv: string[], opts: { timeoutMs?: number } = {}): Promise<CommandResult> {
    const program = programOf(argv);
    this.calls.set(program, (this.calls.get(program) ?? 0) + 1);
    const r = await execa(argv[0], argv.slice(1), { reject: false, stdin: 'ignore', timeout: opts.timeoutMs ?? 60_000 });
    if (r.failed && r.exitCode === undefined) {
      const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : r.originalMessage ?? r.message;
      throw new TransportError(`could not run ${argv.join(' ')}: ${why}`, { cause: r.cause });
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 1 };
  }

  async close(): Promise<void> {}
}
