// The SSH transport: one node-ssh/ssh2 connection (optionally through ProxyJump hops) for commands and SFTP, with known_hosts checks, key/agent-only auth and reconnect.
// node-ssh opens connections and forwards ports; commands and SFTP reads use its ssh2 client directly because
// node-ssh's execCommand cannot tell a dropped connection from an exit and its SFTP helpers cannot read from an offset.
import { createRequire } from 'node:module';
import type { Duplex, Readable } from 'node:stream';
import { constants as osConstants, homedir, hostname, userInfo } from 'node:os';
import { readdir, readFile, stat as localStat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeSSH } from 'node-ssh';
import { TransportError } from '../errors.js';
import { shellQuote } from '../render/shell.js';
import {
  appendKnownHost,
  checkHostKey,
  describeHostKey,
  preferredHostKeyAlgorithms,
  readKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
import { readSshConfig, resolveSshTarget, type SshConfigLine, type SshTarget } from './ssh-config.js';
import type { CommandResult, Transport } from './transport.js';

// ---------------------------------------------------------------------------------------------
// The parts of ssh2 we use (the package ships no types and @types/ssh2 is not a dependency).
// ---------------------------------------------------------------------------------------------
interface ParsedKey {
  type: string;
  isPrivateKey(): boolean;
  getPublicSSH(): Buffer;
}
interface Agent {
  getIdentities(cb: (err: Error | null | undefined, keys?: ParsedKey[]) => void): void;
}
interface Ssh2Module {
  utils: { parseKey(data: Buffer | string, passphrase?: string): ParsedKey | ParsedKey[] | Error };
  OpenSSHAgent: new (socketPath: string) => Agent;
}
interface ExecChannel extends Duplex {
  stderr: Readable;
  signal(name: string): void;
  close(): void;
}
interface SftpStats {
  mode: number;
  size: number;
  mtime: number;
}
interface Sftp {
  stat(path: string, cb: (err: SftpError | undefined, st: SftpStats) => void): void;
  readdir(path: string, cb: (err: SftpError | undefined, list: { filename: string; attrs: SftpStats }[]) => void): void;
  mkdir(path: string, cb: (err: SftpError | undefined) => void): void;
  fastPut(local: string, remote: string, opts: { mode?: number; concurrency?: number }, cb: (err: Error | undefined) => void): void;
  createReadStream(path: string, opts: { start?: number }): Readable;
  end(): void;
}
interface SftpError extends Error {
  code?: number | string;
}
interface Ssh2Client {
  exec(cmd: string, cb: (err: Error | undefined, ch: ExecChannel) => void): boolean;
  sftp(cb: (err: Error | undefined, sftp: Sftp) => void): void;
  on(ev: 'error', fn: (e: Error) => void): this;
  on(ev: 'close' | 'end', fn: () => void): this;
  end(): void;
  destroy(): void;
  _sock?: { localPort?: number };
}
const ssh2 = createRequire(import.meta.url)('ssh2') as Ssh2Module;

const SFTP_NO_SUCH_FILE = 2;
/** OpenSSH's default MaxSessions is 10; one is the SFTP session. */
const MAX_CHANNELS = 8;
/** Reconnect backoff: try at once, then after 0.5, 1, 2, 4, 8 s (about 15 s of waiting in all). */
const RECONNECT_DELAYS_MS = [0, 500, 1000, 2000, 4000, 8000];
const RECONNECT_BUDGET_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

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

/** A remote file's metadata (from SFTP). */
export interface RemoteStat {
  size: number;
  /** Modification time in ms since the epoch (SFTP has whole seconds). */
  mtimeMs: number;
  mode: number;
  isFile: boolean;
  isDirectory: boolean;
}

/** One entry of SshTransport.listDir. */
export interface RemoteDirEntry extends RemoteStat {
  name: string;
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

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

/** The connection went away; `started` says whether the remote side may have begun the operation. */
class Dropped extends Error {
  constructor(
    readonly started: boolean,
    readonly reason: unknown,
  ) {
    super('connection dropped');
  }
}

/** Connection failures that retrying cannot fix (host key, authentication, config). */
const permanent = new WeakSet<Error>();
function permanentError(message: string, cause?: unknown): TransportError {
  const e = new TransportError(message, cause === undefined ? {} : { cause });
  permanent.add(e);
  return e;
}

function uncertainError(message: string, cause?: unknown): TransportError {
  return new TransportError(message, cause === undefined ? { uncertain: true } : { cause, uncertain: true });
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

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

/** One live connection: the target's client plus the jump hosts it runs through. */
interface Link {
  hops: NodeSSH[];
  client: Ssh2Client;
  dropped: boolean;
  /** Resolves (never rejects) when the connection is gone. */
  gone: Promise<void>;
  sftp?: Promise<Sftp>;
  localPort?: number;
  /** Marks the link dropped at once and tears it down. */
  kill(): void;
}

interface Env {
  home: string;
  localUser: string;
  localHost: string;
  authSock?: string;
}

function readEnv(env: NodeJS.ProcessEnv): Env {
  let localUser = env.USER || env.LOGNAME || '';
  if (!localUser) {
    try {
      localUser = userInfo().username;
    } catch {
      localUser = 'root';
    }
  }
  const e: Env = { home: env.HOME || homedir(), localUser, localHost: hostname() };
  if (env.SSH_AUTH_SOCK) e.authSock = env.SSH_AUTH_SOCK;
  return e;
}

function dest(t: SshTarget): string {
  return `${t.user}@${t.host}:${t.port}`;
}

function tilde(path: string, home: string): string {
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/** Public key blobs and auth methods prepared from the identity files and the agent, plus what to say on failure. */
interface AuthPlan {
  methods: object[];
  keys: string[];
  agent: string;
}

async function planAuth(t: SshTarget, env: Env): Promise<AuthPlan> {
  const methods: object[] = [];
  const keys: string[] = [];
  const identityBlobs = new Set<string>();
  for (const file of t.identityFiles) {
    const shown = tilde(file, env.home);
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      if (!t.defaultIdentityFiles) keys.push(`${shown} (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : errMessage(e)})`);
      continue;
    }
    const parsed = ssh2.utils.parseKey(data);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key instanceof Error || !key) {
      const encrypted = /passphrase|encrypted/i.test(errMessage(key));
      // The public half lets the agent offer this key even with IdentitiesOnly.
      const pub = await readFile(`${file}.pub`, 'utf8').catch(() => '');
      const pubKey = pub ? ssh2.utils.parseKey(pub) : undefined;
      if (pubKey && !(pubKey instanceof Error) && !Array.isArray(pubKey)) identityBlobs.add(pubKey.getPublicSSH().toString('base64'));
      keys.push(`${shown} (${encrypted ? 'passphrase-protected: load it with ssh-add' : `unreadable: ${errMessage(key)}`})`);
      continue;
    }
    identityBlobs.add(key.getPublicSSH().toString('base64'));
    methods.push({ type: 'publickey', username: t.user, key: data });
    keys.push(shown);
  }
  if (keys.length === 0) keys.push(t.defaultIdentityFiles ? `none found in ${tilde(join(env.home, '.ssh'), env.home)}` : 'none');

  let agent: string;
  if (!t.agentSocket) {
    agent = 'none (SSH_AUTH_SOCK is not set)';
  } else {
    const sock = t.agentSocket;
    const base = new ssh2.OpenSSHAgent(sock);
    const found = await new Promise<ParsedKey[] | Error>((resolve) => {
      const timer = setTimeout(() => resolve(new Error('no answer')), 3000);
      base.getIdentities((err, list) => {
        clearTimeout(timer);
        resolve(err ? err : (list ?? []));
      });
    });
    if (found instanceof Error) {
      agent = `unreachable at ${sock} (${found.message})`;
    } else {
      const usable = t.identitiesOnly ? found.filter((k) => identityBlobs.has(k.getPublicSSH().toString('base64'))) : found;
      agent = `${usable.length} key${usable.length === 1 ? '' : 's'} at ${sock}${t.identitiesOnly && usable.length < found.length ? ` (IdentitiesOnly: ${found.length - usable.length} not in IdentityFile skipped)` : ''}`;
      if (usable.length > 0) {
        const allowed = new Set(usable.map((k) => k.getPublicSSH().toString('base64')));
        // Offer only the keys counted above (IdentitiesOnly), in the agent's order.
        const Base = ssh2.OpenSSHAgent as unknown as new (s: string) => Agent;
        class FilteredAgent extends Base {
          override getIdentities(cb: (err: Error | null | undefined, keys?: ParsedKey[]) => void): void {
            super.getIdentities((err, list) => cb(err, list?.filter((k) => allowed.has(k.getPublicSSH().toString('base64')))));
          }
        }
        methods.push({ type: 'agent', username: t.user, agent: new FilteredAgent(sock) });
      }
    }
  }
  return { methods, keys, agent };
}

function hostKeyUnknownMessage(t: SshTarget, blob: Buffer, others: KnownHostEntry[], env: Env): string {
  const file = tilde(t.userKnownHostsFiles[0] ?? join(env.home, '.ssh', 'known_hosts'), env.home);
  const scan = `ssh-keyscan ${t.port === 22 ? '' : `-p ${t.port} `}${t.host}`;
  const other = others.length
    ? ` ${others.map((e) => `${e.file}:${e.line}`).join(', ')} hold${others.length === 1 ? 's' : ''} a key of another type (${[...new Set(others.map((e) => e.keyType))].join(', ')}) for it.`
    : '';
  const alias = t.knownHostsName !== (t.port === 22 ? t.host : `[${t.host}]:${t.port}`) ? ` (then replace the host name with ${t.knownHostsName}: HostKeyAlias)` : '';
  return (
    `ssh: host key for ${t.knownHostsName} is not known (${describeHostKey(blob)}).${other} ` +
    `To trust it, verify the fingerprint and run: ${scan} >> ${file}${alias}`
  );
}

function hostKeyChangedMessage(t: SshTarget, blob: Buffer, entry: KnownHostEntry): string {
  const old = describeHostKey(Buffer.from(entry.key, 'base64'));
  return (
    `ssh: @@@ HOST KEY CHANGED for ${t.knownHostsName} @@@ The server offers ${describeHostKey(blob)}, but ` +
    `${entry.file}:${entry.line} holds ${old}. Someone could be intercepting the connection (man-in-the-middle), ` +
    `or the administrators replaced the host key. arrayflow refuses to connect. Once they confirm the new ` +
    `fingerprint, remove the old line with: ssh-keygen -R '${t.knownHostsName}' -f ${entry.file}`
  );
}

// Only algorithms ssh2 supports may be named in its algorithm lists.
const SSH2_HOST_KEY_ALGOS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
  'ssh-dss',
]);

/** Opens one hop: TCP (or `sock`), host key check, key/agent auth. */
async function openHop(t: SshTarget, env: Env, timeoutMs: number, sock?: Duplex): Promise<NodeSSH> {
  if (t.proxyCommand) {
    throw permanentError(
      `ssh: ${t.proxyCommand.at} sets ProxyCommand for ${t.alias}, which arrayflow does not run; use ProxyJump user@jumphost[:port] instead`,
    );
  }
  const entries = await readKnownHosts([...t.userKnownHostsFiles, ...t.globalKnownHostsFiles]);
  const auth = await planAuth(t, env);
  let hostKeyProblem: TransportError | undefined;
  let learned: Buffer | undefined;
  let serverMethods: string[] | undefined;
  let authTried = 0;
  // 'none' first, as OpenSSH does: the server's reply lists the methods it accepts (for the error message).
  const queue: object[] = [{ type: 'none', username: t.user }, ...auth.methods];
  const prefer = preferredHostKeyAlgorithms(entries, t.knownHostsName).filter((a) => SSH2_HOST_KEY_ALGOS.has(a));

  const config: Record<string, unknown> = {
    host: t.host,
    port: t.port,
    username: t.user,
    readyTimeout: timeoutMs,
    keepaliveInterval: t.keepaliveIntervalMs,
    keepaliveCountMax: t.keepaliveCountMax,
    tryKeyboard: false,
    hostVerifier: (key: Buffer): boolean => {
      const v = checkHostKey(entries, t.knownHostsName, key);
      if (v.status === 'known') return true;
      if (v.status === 'revoked') {
        hostKeyProblem = permanentError(
          `ssh: the host key of ${t.knownHostsName} (${describeHostKey(key)}) is marked @revoked in ${v.entry.file}:${v.entry.line}; refusing to connect`,
        );
        return false;
      }
      if (v.status === 'changed') {
        hostKeyProblem = permanentError(hostKeyChangedMessage(t, key, v.entry));
        return false;
      }
      if (t.strictHostKeyChecking !== 'yes' && v.otherTypes.length === 0) {
        learned = key;
        return true;
      }
      hostKeyProblem = permanentError(hostKeyUnknownMessage(t, key, v.otherTypes, env));
      return false;
    },
    // Only keys, never a password or keyboard-interactive: arrayflow runs unattended.
    authHandler: (methodsLeft: string[] | null) => {
      if (methodsLeft) serverMethods = methodsLeft;
      // Like OpenSSH, skip what the server does not accept (keys and agent keys are both 'publickey').
      while (queue.length > 0 && serverMethods && !serverMethods.includes('publickey')) queue.shift();
      const next = queue.shift();
      if (next && (next as { type: string }).type !== 'none') authTried++;
      return next ?? false;
    },
  };
  if (prefer.length > 0) config.algorithms = { serverHostKey: { remove: prefer, prepend: prefer } };
  if (sock) {
    delete config.host;
    config.sock = sock;
  }

  const ssh = new NodeSSH();
  try {
    await ssh.connect(config);
  } catch (e) {
    ssh.dispose();
    if (hostKeyProblem) throw hostKeyProblem;
    const level = (e as { level?: string }).level;
    const msg = errMessage(e);
    if (level === 'client-authentication' || /authentication/i.test(msg)) {
      const offered = serverMethods && !serverMethods.includes('publickey') ? `; the server offers only ${serverMethods.join(', ')}` : '';
      throw permanentError(
        `ssh: authentication to ${dest(t)} failed (tried keys: ${auth.keys.join(', ')}, agent: ${auth.agent}${offered}) — ` +
          `add your key with ssh-copy-id or ssh-add; arrayflow never asks for a password`,
        e,
      );
    }
    if (level === 'client-timeout') {
      throw new TransportError(`ssh: timed out after ${timeoutMs} ms connecting to ${dest(t)}${authTried ? ' (during authentication)' : ''}`, { cause: e });
    }
    throw new TransportError(`ssh: cannot connect to ${dest(t)}: ${msg}`, { cause: e });
  }
  if (learned) {
    await appendKnownHost(t.userKnownHostsFiles[0] ?? join(env.home, '.ssh', 'known_hosts'), t.knownHostsName, learned).catch(() => undefined);
  }
  return ssh;
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

  private constructor(
    target: SshTarget,
    private readonly lines: SshConfigLine[],
    private readonly env: Env,
    private readonly opts: SshConnectOptions,
  ) {
    this.target = target;
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

  private static overrides(opts: SshConnectOptions, env: Env) {
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

  /** Opens the target, through its ProxyJump hops if any (each hop is resolved with the same config). */
  private async openLink(timeoutMs: number): Promise<Link> {
    const hops: NodeSSH[] = [];
    const open = async (t: SshTarget, depth: number): Promise<NodeSSH> => {
      if (depth > 8) throw permanentError(`ssh: ProxyJump chain for ${this.target.spec} is longer than 8 hops (a loop?)`);
      let sock: Duplex | undefined;
      if (t.proxyJump.length > 0) {
        const last = t.proxyJump[t.proxyJump.length - 1];
        const rest = t.proxyJump.slice(0, -1);
        // identityFile / knownHostsFile apply to every hop: one key and one known_hosts for the whole path.
        const over = SshTransport.overrides(this.opts, this.env);
        const jt = resolveSshTarget(this.lines, last, this.env, rest.length ? { ...over, proxyJump: rest } : over);
        const jump = await open(jt, depth + 1);
        try {
          sock = (await jump.forwardOut('127.0.0.1', 0, t.host, t.port)) as unknown as Duplex;
        } catch (e) {
          throw new TransportError(`ssh: jump host ${dest(jt)} could not reach ${t.host}:${t.port}: ${errMessage(e)}`, { cause: e });
        }
      }
      const ssh = await openHop(t, this.env, timeoutMs, sock);
      hops.push(ssh);
      return ssh;
    };
    try {
      await open(this.target, 0);
    } catch (e) {
      for (const h of hops.reverse()) h.dispose();
      throw e;
    }
    const client = hops[hops.length - 1].connection as unknown as Ssh2Client;
    let markGone!: () => void;
    const drop = () => {
      if (link.dropped) return;
      link.dropped = true;
      markGone();
      for (const h of [...hops].reverse()) h.dispose();
    };
    const link: Link = { hops, client, dropped: false, gone: new Promise<void>((r) => (markGone = r)), kill: drop };
    const first = hops[0].connection as unknown as Ssh2Client;
    const port = first._sock?.localPort;
    if (port !== undefined) link.localPort = port;
    for (const h of hops) {
      const c = h.connection as unknown as Ssh2Client;
      // Without an 'error' listener a late socket error would crash the process.
      c.on('error', () => drop());
      c.on('close', drop);
      c.on('end', drop);
    }
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
        if (e instanceof Error && permanent.has(e)) throw e;
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
    return this.withLink(argv[0], idempotent, async (link) => {
      await this.sem.acquire();
      try {
        return await this.execOn(link, argv[0], command, timeoutMs, idempotent);
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

  private sftpOf(link: Link): Promise<Sftp> {
    link.sftp ??= new Promise<Sftp>((resolve, reject) => {
      try {
        link.client.sftp((err, s) => (err ? reject(err) : resolve(s)));
      } catch (e) {
        reject(e);
      }
    });
    const p = link.sftp;
    // A failed SFTP start is not cached.
    p.catch(() => {
      if (link.sftp === p) link.sftp = undefined;
    });
    return p;
  }

  /** Runs an SFTP operation (always idempotent: rerun after a reconnect). */
  private async withSftp<T>(what: string, fn: (sftp: Sftp) => Promise<T>): Promise<T> {
    return this.withLink(what, true, async (link) => {
      const sftp = await this.guard(link, true, this.sftpOf(link));
      return this.guard(link, true, fn(sftp));
    });
  }

  private sftpFail(what: string, path: string, e: unknown): TransportError {
    return new TransportError(`ssh: ${what} ${path} on ${dest(this.target)} failed: ${errMessage(e)}`, { cause: e });
  }

  /** Copies one local file to `remote` (overwriting), keeping its permission bits. */
  async putFile(local: string, remote: string): Promise<void> {
    const st = await localStat(local).catch((e: unknown) => {
      throw new TransportError(`ssh: cannot read ${local}: ${errMessage(e)}`, { cause: e });
    });
    await this.withSftp(`put ${remote}`, (sftp) => this.fastPut(sftp, local, remote, st.mode & 0o7777));
  }

  private fastPut(sftp: Sftp, local: string, remote: string, mode: number): Promise<void> {
    return new Promise<void>((resolve, reject) => sftp.fastPut(local, remote, { mode }, (e) => (e ? reject(this.sftpFail('put', remote, e)) : resolve())));
  }

  /** Copies a local directory tree into `remoteDir` (created as needed), files overwritten, modes kept; symlinks followed. */
  async putDir(localDir: string, remoteDir: string): Promise<void> {
    const dirs: string[] = [];
    const files: { local: string; remote: string; mode: number }[] = [];
    const walk = async (l: string, r: string): Promise<void> => {
      dirs.push(r);
      for (const ent of await readdir(l, { withFileTypes: true })) {
        const lp = join(l, ent.name);
        const rp = posix.join(r, ent.name);
        const st = await localStat(lp);
        if (st.isDirectory()) await walk(lp, rp);
        else if (st.isFile()) files.push({ local: lp, remote: rp, mode: st.mode & 0o7777 });
      }
    };
    await walk(localDir, remoteDir).catch((e: unknown) => {
      throw new TransportError(`ssh: cannot read ${localDir}: ${errMessage(e)}`, { cause: e });
    });
    await this.mkdirp(remoteDir);
    await this.withSftp(`put ${remoteDir}`, async (sftp) => {
      // Parents come before children in `dirs`, so one level at a time is enough.
      for (const d of dirs.slice(1)) await this.mkdirOn(sftp, d);
      let i = 0;
      const worker = async () => {
        while (i < files.length) {
          const f = files[i++];
          await this.fastPut(sftp, f.local, f.remote, f.mode);
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, files.length) }, worker));
    });
  }

  /**
   * Reads a remote file from byte `offset` to its current end (an empty Buffer when offset is at or
   * past the end): pull an append-only file incrementally by passing the bytes already seen.
   */
  async readFile(remote: string, opts: { offset?: number } = {}): Promise<Buffer> {
    const start = opts.offset ?? 0;
    return this.withSftp(`read ${remote}`, (sftp) =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const s = sftp.createReadStream(remote, { start });
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('error', (e: Error) => reject(this.sftpFail('read', remote, e)));
        s.on('end', () => resolve(Buffer.concat(chunks)));
      }),
    );
  }

  /** Metadata of a remote path (following symlinks), or null when it does not exist. */
  async stat(remote: string): Promise<RemoteStat | null> {
    return this.withSftp(`stat ${remote}`, (sftp) => this.statOn(sftp, remote));
  }

  private statOn(sftp: Sftp, remote: string): Promise<RemoteStat | null> {
    return new Promise((resolve, reject) =>
      sftp.stat(remote, (e, st) => {
        if (e) return e.code === SFTP_NO_SUCH_FILE ? resolve(null) : reject(this.sftpFail('stat', remote, e));
        resolve(toStat(st));
      }),
    );
  }

  /** The entries of a remote directory (without . and ..), sorted by name. */
  async listDir(remote: string): Promise<RemoteDirEntry[]> {
    return this.withSftp(`list ${remote}`, (sftp) =>
      new Promise<RemoteDirEntry[]>((resolve, reject) =>
        sftp.readdir(remote, (e, list) => {
          if (e) return reject(this.sftpFail('list', remote, e));
          resolve(
            list
              .filter((x) => x.filename !== '.' && x.filename !== '..')
              .map((x) => ({ name: x.filename, ...toStat(x.attrs) }))
              .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
          );
        }),
      ),
    );
  }

  /** Creates a remote directory and its missing parents (like mkdir -p); fine if it exists. */
  async mkdirp(remote: string): Promise<void> {
    const norm = posix.normalize(remote);
    const parts = norm.split('/');
    await this.withSftp(`mkdir ${remote}`, async (sftp) => {
      for (let i = 1; i <= parts.length; i++) {
        const p = parts.slice(0, i).join('/');
        if (p === '' || p === '.' || p === '..' || p === '~') continue;
        await this.mkdirOn(sftp, p, norm);
      }
    });
  }

  /** Creates one directory level unless it exists. */
  private async mkdirOn(sftp: Sftp, p: string, forPath = p): Promise<void> {
    const st = await this.statOn(sftp, p);
    if (st?.isDirectory) return;
    if (st) throw new TransportError(`ssh: cannot create ${forPath} on ${dest(this.target)}: ${p} exists and is not a directory`);
    await new Promise<void>((resolve, reject) =>
      sftp.mkdir(p, (e) => {
        if (!e) return resolve();
        // Someone else may have created it meanwhile.
        this.statOn(sftp, p).then(
          (again) => (again?.isDirectory ? resolve() : reject(this.sftpFail('mkdir', p, e))),
          () => reject(this.sftpFail('mkdir', p, e)),
        );
      }),
    );
  }

  /** Closes the connection (and its jump hosts); later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    const link = this.link;
    this.link = undefined;
    if (!link || link.dropped) return;
    const gone = link.gone;
    for (const h of [...link.hops].reverse()) (h.connection as unknown as Ssh2Client | null)?.end();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    for (const h of [...link.hops].reverse()) h.dispose();
  }
}

function toStat(st: SftpStats): RemoteStat {
  const type = st.mode & 0o170000;
  return { size: st.size, mtimeMs: st.mtime * 1000, mode: st.mode & 0o7777, isFile: type === 0o100000, isDirectory: type === 0o040000 };
}

