// Opening connections: one hop (TCP or a forwarded stream, host key check, key/agent auth) and the ProxyJump chain to the target as one Link.
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import { TransportError } from '../errors.js';
import { appendKnownHost, readKnownHosts } from './known-hosts.js';
import { planAuth } from './ssh-auth.js';
import type { SshConfigLine } from './ssh-config.js';
import { resolveSshTarget, type ResolveOverrides, type SshTarget } from './ssh-target.js';
import type { Env } from './ssh-env.js';
import { dest, errMessage, permanentError } from './ssh-errors.js';
import { decideHostKey, hostKeyAlgorithmsFor, learnedKeyFile } from './ssh-host-key.js';
import type { Sftp, Ssh2Client } from './ssh2-types.js';

/** One live connection: the target's client plus the jump hosts it runs through. */
export interface Link {
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

/** ProxyJump chains longer than this are taken for a loop in the config. */
const MAX_HOPS = 8;

/** Opens one hop: TCP (or `sock`), host key check, key/agent auth. */
export async function openHop(t: SshTarget, env: Env, timeoutMs: number, sock?: Duplex): Promise<NodeSSH> {
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
  const prefer = hostKeyAlgorithmsFor(entries, t.knownHostsName);

  const config: Record<string, unknown> = {
    host: t.host,
    port: t.port,
    username: t.user,
    readyTimeout: timeoutMs,
    keepaliveInterval: t.keepaliveIntervalMs,
    keepaliveCountMax: t.keepaliveCountMax,
    tryKeyboard: false,
    hostVerifier: (key: Buffer): boolean => {
      const d = decideHostKey(entries, t, key, env);
      if (!d.accept) hostKeyProblem = permanentError(d.problem);
      else if (d.learn) learned = key;
      return d.accept;
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
  if (learned) await appendKnownHost(learnedKeyFile(t, env), t.knownHostsName, learned).catch(() => undefined);
  return ssh;
}

/**
 * Opens `target`, through its ProxyJump hops if any (each hop is resolved with the same config
 * lines and `over`), and watches every hop so the Link marks itself dropped when any goes away.
 */
export async function openLink(target: SshTarget, lines: SshConfigLine[], over: ResolveOverrides, env: Env, timeoutMs: number): Promise<Link> {
  const hops: NodeSSH[] = [];
  const open = async (t: SshTarget, depth: number): Promise<NodeSSH> => {
    if (depth > MAX_HOPS) throw permanentError(`ssh: ProxyJump chain for ${target.spec} is longer than ${MAX_HOPS} hops (a loop?)`);
    let sock: Duplex | undefined;
    if (t.proxyJump.length > 0) {
      const last = t.proxyJump[t.proxyJump.length - 1];
      const rest = t.proxyJump.slice(0, -1);
      // identityFile / knownHostsFile (in `over`) apply to every hop: one key and one known_hosts for the whole path.
      const jt = resolveSshTarget(lines, last, env, rest.length ? { ...over, proxyJump: rest } : over);
      const jump = await open(jt, depth + 1);
      try {
        sock = (await jump.forwardOut('127.0.0.1', 0, t.host, t.port)) as unknown as Duplex;
      } catch (e) {
        throw new TransportError(`ssh: jump host ${dest(jt)} could not reach ${t.host}:${t.port}: ${errMessage(e)}`, { cause: e });
      }
    }
    const ssh = await openHop(t, env, timeoutMs, sock);
    hops.push(ssh);
    return ssh;
  };
  try {
    await open(target, 0);
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
  return link;
}

/** Ends the hops of a live link, the target's first and the jump hosts' after, and waits up to 2 s for the target's connection to close. */
export async function closeLink(link: Link): Promise<void> {
  const gone = link.gone;
  for (const h of [...link.hops].reverse()) (h.connection as unknown as Ssh2Client | null)?.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
  clearTimeout(timer);
  for (const h of [...link.hops].reverse()) h.dispose();
}
