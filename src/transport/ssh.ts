// The SSH transport: one connection (optionally through ProxyJump hops) for commands and SFTP, counting calls and reconnecting after a drop.
// node-ssh opens connections and forwards ports; commands and SFTP reads use its ssh2 client directly because
// node-ssh's execCommand cannot tell a dropped connection from an exit and its SFTP helpers cannot read from an offset.
import { stat as localStat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransportError } from '../errors.js';
import { shellQuote } from '../render/shell.js';
import { programOf } from '../util/program.js';
import { readSshConfig, type SshConfigLine } from './ssh-config.js';
import { resolveSshTarget, type ResolveOverrides, type SshTarget } from './ssh-target.js';
import { readEnv, type Env } from './ssh-env.js';
import { dest, Dropped, errMessage, isPermanent, uncertainError } from './ssh-errors.js';
import { closeLink, openLink, type Link } from './ssh-hop.js';
import { SftpFiles, sftpSession, type RemoteDirEntry, type RemoteStat } from './ssh-sftp.js';
import type { ExecChannel, Sftp } from './ssh2-types.js';
import type { CommandResult, Transport } from './transport.js';

export type { RemoteDirEntry, RemoteStat } from './ssh-sftp.js';

/** OpenSSH's default MaxSessions is 10; one is the SFTP session. */
const MAX_CHANNELS = 8;
/** Reconnect backoff: try at once, then after 0.5, 1, 2, 4, 8 s (about 15 s of waiting in all). */
const RECONNECT_DELAYS_MS = [0, 500, 1000, 2000, 4000, 8000];
const RECONNECT_BUDGET_MS = 30_000;

/** Options of SshTransport.connect. */
export interface SshConnectOptions {
  /** ssh_config file to read instead of ~/.ssh/config and /etc/ssh/ssh_config (like `ssh -F`). */
  configFile?: string;
  /** known_hosts file to use instead of UserKnownHostsFile / ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Private key to try before the configured ones (like `ssh -i`). */
  identityFile?: string;
  /** arrayflow never prompts (no password, no keyboard-interactive, no passphrase); only `false` is accepted. */
  interactive?: false;
  /** Time allowed for TCP connect + handshake + authentication (default: ConnectTimeout, else 20 s). */
  connectTimeoutMs?: number;
  /** Waits between reconnect attempts after a drop (default 0, 0.5, 1, 2, 4, 8 s within 30 s). */
  reconnectDelaysMs?: number[];
  /** Where HOME, USER and SSH_AUTH_SOCK are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Options of SshTransport.run (a superset of Transport.run's). */
export interface SshRunOptions {
  /** Default 60 s. On timeout the remote command is sent SIGKILL and the call rejects. */
  timeoutMs?: number;
  /**
   * True when running the command twice does no harm (status queries, cat, mkdir -p): after a
   * dropped connection it is rerun on a new one. Default false: a drop after the command was sent
   * rejects with a TransportError whose `uncertain` is true.
   */
  idempotent?: boolean;
}

/** Quotes argv for the remote POSIX login shell: every word becomes exactly one shell word (one quoting layer). */
export function remoteCommand(argv: string[]): string {
  if (argv.length === 0) throw new TransportError('ssh: cannot run an empty command');
  try {
    return argv.map((w) => shellQuote(w)).join(' ');
  } catch {
    throw new TransportError(`ssh: cannot pass a NUL byte in an argument of ${argv[0]} through the remote shell`);
  }
}

/** Caps the channels open at once on the shared connection. */
class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/**
 * Runs commands and moves files on a remote host over ONE SSH connection (reconnecting after a drop).
 * Authentication uses key files and ssh-agent only; host keys are checked against known_hosts.
 */
export class SshTransport implements Transport {
  readonly calls = new Map<string, number>();
  /** The resolved target (host, port, user, keys, known_hosts, hops). */
  readonly target: SshTarget;
  private link: Link | undefined;
  private reconnecting: Promise<Link> | undefined;
  private closed = false;
  private connectCount = 0;
  private readonly sem = new Semaphore(MAX_CHANNELS);
  private readonly files: SftpFiles;

  private constructor(
    target: SshTarget,
    private readonly lines: SshConfigLine[],
    private readonly env: Env,
    private readonly opts: SshConnectOptions,
  ) {
    this.target = target;
    this.files = new SftpFiles((what, fn) => this.withSftp(what, fn), dest(target));
  }

  /**
   * Connects to `target` (`user@host[:port]` or an ssh_config Host alias) and resolves once
   * authenticated. Rejects with a TransportError for an unknown or changed host key, failed key
   * authentication (never a password prompt), or an unreachable host; the first connect is not retried.
   */
  static async connect(target: string, opts: SshConnectOptions = {}): Promise<SshTransport> {
    if ((opts.interactive as unknown) === true) throw new TransportError('ssh: interactive logins are not supported: arrayflow never prompts');
    const env = readEnv(opts.env ?? process.env);
    const files = opts.configFile ? [opts.configFile] : [join(env.home, '.ssh', 'config'), '/etc/ssh/ssh_config'];
    if (opts.configFile) {
      await localStat(opts.configFile).catch((e: unknown) => {
        throw new TransportError(`ssh: cannot read config file ${opts.configFile}: ${errMessage(e)}`, { cause: e });
      });
    }
    const lines = await readSshConfig(files, env);
    const t = resolveSshTarget(lines, target, env, SshTransport.overrides(opts, env));
    const transport = new SshTransport(t, lines, env, opts);
    transport.link = await transport.openLink(opts.connectTimeoutMs ?? t.connectTimeoutMs ?? 20_000);
    return transport;
  }

  private static overrides(opts: SshConnectOptions, env: Env): ResolveOverrides {
    return {
      ...(opts.identityFile ? { identityFile: opts.identityFile } : {}),
      ...(opts.knownHostsFile ? { knownHostsFile: opts.knownHostsFile } : {}),
      ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
      ...(env.authSock ? { authSock: env.authSock } : {}),
    };
  }

  /** The login user on the remote host: per-user scheduler limits are looked up for this account. */
  get user(): string {
    return this.target.user;
  }

  /** How many connections were established so far: 1, plus one per reconnect. */
  get connections(): number {
    return this.connectCount;
  }

  /** Local TCP port of the current connection to the first hop (lets tests find the sshd serving it). */
  get localPort(): number | undefined {
    return this.link && !this.link.dropped ? this.link.localPort : undefined;
  }

  /** Config lines arrayflow could not honour (e.g. `Match exec`), for the CLI to show. */
  get warnings(): string[] {
    return this.target.warnings;
  }

  private async openLink(timeoutMs: number): Promise<Link> {
    const link = await openLink(this.target, this.lines, SshTransport.overrides(this.opts, this.env), this.env, timeoutMs);
    this.connectCount++;
    return link;
  }

  /** The live link, reconnecting with backoff when the last one dropped. */
  private async ensureLink(): Promise<Link> {
    if (this.closed) throw new TransportError(`ssh: the connection to ${dest(this.target)} was closed by close()`);
    if (this.link && !this.link.dropped) return this.link;
    this.reconnecting ??= this.reconnect().finally(() => {
      this.reconnecting = undefined;
    });
    return this.reconnecting;
  }

  private async reconnect(): Promise<Link> {
    const delays = this.opts.reconnectDelaysMs ?? RECONNECT_DELAYS_MS;
    const started = Date.now();
    const baseTimeout = this.opts.connectTimeoutMs ?? this.target.connectTimeoutMs ?? 20_000;
    let last: unknown;
    let attempts = 0;
    for (const d of delays) {
      if (Date.now() + d - started > RECONNECT_BUDGET_MS) break;
      if (d > 0) await sleep(d);
      if (this.closed) break;
      attempts++;
      try {
        const remaining = Math.max(1000, RECONNECT_BUDGET_MS - (Date.now() - started));
        this.link = await this.openLink(Math.min(baseTimeout, remaining));
        return this.link;
      } catch (e) {
        if (isPermanent(e)) throw e;
        last = e;
      }
    }
    if (this.closed) throw new TransportError(`ssh: the connection to ${dest(this.target)} was closed by close()`);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    throw new TransportError(
      `ssh: lost the connection to ${dest(this.target)} and could not reconnect (${attempts} attempts over ${secs} s): ${errMessage(last)}`,
      { cause: last },
    );
  }

  /** Runs `op` on the live link; after a drop, reconnects and reruns it when that is safe. */
  private async withLink<T>(what: string, idempotent: boolean, op: (link: Link) => Promise<T>): Promise<T> {
    for (let drops = 0; ; ) {
      const link = await this.ensureLink();
      try {
        return await op(link);
      } catch (e) {
        if (!(e instanceof Dropped)) throw e;
        link.kill();
        if (e.started && !idempotent) {
          throw uncertainError(
            `ssh: the connection to ${dest(this.target)} dropped while running ${what}; it may or may not have run ` +
              `(check before repeating it, e.g. look for the job by name): ${errMessage(e.reason)}`,
            e.reason,
          );
        }
        if (++drops > 3) throw new TransportError(`ssh: the connection to ${dest(this.target)} dropped ${drops} times during ${what}`, { cause: e.reason });
      }
    }
  }

  /** Races an operation against the link going away. */
  private async guard<T>(link: Link, started: boolean, p: Promise<T>): Promise<T> {
    let onGone: Promise<never> | undefined;
    try {
      onGone = link.gone.then(() => {
        throw new Dropped(started, new Error('connection closed'));
      });
      return await Promise.race([p, onGone]);
    } catch (e) {
      if (e instanceof Dropped) throw e;
      // ssh2 fails pending requests ("No response from server") just before it reports the close.
      await new Promise((r) => setImmediate(r));
      if (link.dropped || /No response from server|Not connected/.test(errMessage(e))) throw new Dropped(started, e);
      throw e;
    } finally {
      onGone?.catch(() => undefined);
    }
  }

  /**
   * Runs argv on the remote host through its login shell, each word quoted (so `$(...)`, quotes and
   * globs arrive literally), and resolves with stdout, stderr and the exit code (128+N for signal N).
   */
  async run(argv: string[], opts: SshRunOptions = {}): Promise<CommandResult> {
    const command = remoteCommand(argv);
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const idempotent = opts.idempotent ?? false;
    const program = programOf(argv);
    return this.withLink(program, idempotent, async (link) => {
      await this.sem.acquire();
      try {
        return await this.execOn(link, program, command, timeoutMs, idempotent);
      } finally {
        this.sem.release();
      }
    });
  }

  private async execOn(link: Link, program: string, command: string, timeoutMs: number, idempotent: boolean): Promise<CommandResult> {
    // Once the request is written, a drop leaves it unknown whether the command started (ssh2 answers
    // only after the exec request itself was accepted); only a synchronous "Not connected" is safe.
    const ch = await this.guard(
      link,
      true,
      new Promise<ExecChannel>((resolve, reject) => {
        try {
          link.client.exec(command, (err, c) => (err ? reject(err) : resolve(c)));
        } catch (e) {
          reject(new Dropped(false, e));
          return;
        }
        this.calls.set(program, (this.calls.get(program) ?? 0) + 1);
      }),
    ).catch((e: unknown) => {
      if (e instanceof Dropped) throw e;
      throw new TransportError(`ssh: ${dest(this.target)} refused to start ${program}: ${errMessage(e)}`, { cause: e });
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let code: number | null | undefined;
    let signal: string | undefined;
    ch.on('data', (d: Buffer) => out.push(d));
    ch.stderr.on('data', (d: Buffer) => err.push(d));
    ch.on('exit', (c: number | null, s?: string) => {
      code = c;
      if (s) signal = s;
    });
    ch.end(); // stdin: EOF at once, like stdin 'ignore' locally
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => ch.on('close', () => resolve()));
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const how = await this.guard(link, true, Promise.race([closed, timedOut]));
      if (how === 'timeout') {
        try {
          ch.signal('KILL');
          ch.close();
        } catch {
          /* the channel may already be gone */
        }
        const msg = `ssh: ${program} on ${dest(this.target)} timed out after ${timeoutMs} ms`;
        throw idempotent ? new TransportError(msg) : uncertainError(`${msg}; it may or may not have taken effect`);
      }
    } finally {
      clearTimeout(timer);
    }
    if (code === undefined && signal === undefined) {
      // The channel closed without an exit status: the session (or the whole connection) died under us.
      throw new Dropped(true, new Error('the remote session ended without an exit status'));
    }
    const stdout = Buffer.concat(out).toString('utf8');
    const stderr = Buffer.concat(err).toString('utf8');
    // ssh2 reports signals as 'SIGKILL'; a shell would say 128 + 9.
    const signo = signal ? osConstants.signals[`SIG${signal.replace(/^SIG/, '')}` as keyof typeof osConstants.signals] : undefined;
    const exitCode = typeof code === 'number' ? code : 128 + (signo ?? 0);
    return { stdout, stderr, exitCode };
  }

  /** Runs an SFTP operation (always idempotent: rerun after a reconnect). */
  private async withSftp<T>(what: string, fn: (sftp: Sftp) => Promise<T>): Promise<T> {
    return this.withLink(what, true, async (link) => {
      const sftp = await this.guard(link, true, sftpSession(link));
      return this.guard(link, true, fn(sftp));
    });
  }

  /** Copies one local file to `remote` (overwriting), keeping its permission bits. */
  putFile(local: string, remote: string): Promise<void> {
    return this.files.putFile(local, remote);
  }

  /** Copies a local directory tree into `remoteDir` (created as needed), files overwritten, modes kept; symlinks followed. */
  putDir(localDir: string, remoteDir: string): Promise<void> {
    return this.files.putDir(localDir, remoteDir);
  }

  /**
   * Reads a remote file from byte `offset` to its current end (an empty Buffer when offset is at or
   * past the end): pull an append-only file incrementally by passing the bytes already seen.
   */
  readFile(remote: string, opts: { offset?: number } = {}): Promise<Buffer> {
    return this.files.readFile(remote, opts);
  }

  /** Creates `remote` with `content` by exclusive create unless it exists; returns its content afterwards. */
  createExclusive(remote: string, content: string): Promise<string> {
    return this.files.createExclusive(remote, content);
  }

  /** Metadata of a remote path (following symlinks), or null when it does not exist. */
  stat(remote: string): Promise<RemoteStat | null> {
    return this.files.stat(remote);
  }

  /** The entries of a remote directory (without . and ..), sorted by name. */
  listDir(remote: string): Promise<RemoteDirEntry[]> {
    return this.files.listDir(remote);
  }

  /** Creates a remote directory and its missing parents (like mkdir -p); fine if it exists. */
  mkdirp(remote: string): Promise<void> {
    return this.files.mkdirp(remote);
  }

  /** Closes the connection (and its jump hosts); later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    const link = this.link;
    this.link = undefined;
    if (!link || link.dropped) return;
    await closeLink(link);
  }
}
