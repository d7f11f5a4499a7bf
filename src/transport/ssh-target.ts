// A target (Host alias or user@host:port) resolved against ssh_config lines into what one hop needs: defaults, precedence, ~ and %-tokens; ours because the ssh-config package expands no tokens (checked against 5.3.0: see "ssh-config's compute()" in test/transport/ssh-config.test.ts).
import { join } from 'node:path';
import { TransportError } from '../errors.js';
import { lookupSshHost, type SshConfigEnv, type SshConfigLine } from './ssh-config.js';

/** `[user@]host[:port]`, `[user@][v6addr]:port` or `ssh://[user@]host[:port]`. Pure. */
export function parseSshTarget(target: string): { user?: string; host: string; port?: number } {
  let s = target.trim().replace(/^ssh:\/\//, '').replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let host = s;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  const hp = /^([^:]+):(\d+)$/.exec(s);
  if (v6) {
    host = v6[1];
    if (v6[2]) port = Number(v6[2]);
  } else if (hp) {
    host = hp[1];
    port = Number(hp[2]);
  }
  if (host === '' || (user !== undefined && user === '') || /\s/.test(host)) {
    throw new TransportError(`ssh: cannot parse target "${target}": expected user@host[:port] or a Host alias from ~/.ssh/config`);
  }
  if (port !== undefined && (port < 1 || port > 65535)) throw new TransportError(`ssh: bad port in target "${target}"`);
  return user === undefined ? { host, ...(port ? { port } : {}) } : { user, host, ...(port ? { port } : {}) };
}

/** Everything needed to open one SSH connection (one hop), after config, defaults and expansion. */
export interface SshTarget {
  /** The target as given (alias or user@host:port). */
  spec: string;
  /** The name config `Host` patterns were matched against. */
  alias: string;
  host: string;
  port: number;
  user: string;
  /** Private key files to try in order (absolute). */
  identityFiles: string[];
  /** True when identityFiles are ssh's defaults (~/.ssh/id_*), which are skipped quietly when missing. */
  defaultIdentityFiles: boolean;
  identitiesOnly: boolean;
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** `ask` and unset mean `yes`: arrayflow never asks. */
  strictHostKeyChecking: 'yes' | 'accept-new' | 'no';
  /** The name looked up in known_hosts (HostKeyAlias, else host with [ ]:port). */
  knownHostsName: string;
  /** Hops to go through first (ProxyJump), outermost first. */
  proxyJump: string[];
  /** Set when the config asks for a ProxyCommand, which arrayflow does not run. */
  proxyCommand?: { command: string; at: string };
  connectTimeoutMs?: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** ssh-agent socket, or undefined for none. */
  agentSocket?: string;
  warnings: string[];
}

export interface ResolveOverrides {
  identityFile?: string;
  knownHostsFile?: string;
  connectTimeoutMs?: number;
  /** Hops that replace the host's own ProxyJump (used for multi-hop chains). */
  proxyJump?: string[];
  /** SSH_AUTH_SOCK from the environment. */
  authSock?: string;
}

const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_dsa'];

/** Expands `~` and the `%` tokens ssh_config(5) allows in paths. */
export function expandSshPath(s: string, t: { host: string; port: number; user: string; alias: string }, env: SshConfigEnv): string {
  let out = s.replace(/%(.)/g, (m, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return env.home;
      case 'h':
        return t.host;
      case 'p':
        return String(t.port);
      case 'r':
        return t.user;
      case 'n':
        return t.alias;
      case 'u':
        return env.localUser;
      case 'l':
      case 'L':
        return env.localHost ?? 'localhost';
      default:
        return m;
    }
  });
  if (out === '~') out = env.home;
  else if (out.startsWith('~/')) out = join(env.home, out.slice(2));
  return out;
}

/** Resolves a target (alias or user@host:port) against parsed config lines. Pure. */
export function resolveSshTarget(lines: SshConfigLine[], spec: string, env: SshConfigEnv, over: ResolveOverrides = {}): SshTarget {
  const parsed = parseSshTarget(spec);
  const o = lookupSshHost(lines, parsed.host, env);
  const port = parsed.port ?? o.port ?? 22;
  const user = parsed.user ?? o.user ?? env.localUser;
  // HostName may itself use %h (the alias).
  const host = o.hostName ? o.hostName.replace(/%h/g, parsed.host).replace(/%%/g, '%') : parsed.host;
  const tok = { host, port, user, alias: parsed.host };
  const exp = (s: string) => expandSshPath(s, tok, env);

  const configured = o.identityFiles.map(exp);
  if (over.identityFile) configured.unshift(exp(over.identityFile));
  const defaultIdentityFiles = configured.length === 0;
  const identityFiles = defaultIdentityFiles ? DEFAULT_IDENTITIES.map((n) => join(env.home, '.ssh', n)) : [...new Set(configured)];

  const userKnownHostsFiles = over.knownHostsFile
    ? [exp(over.knownHostsFile)]
    : (o.userKnownHostsFiles ?? ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']).filter((f) => f.toLowerCase() !== 'none').map(exp);
  const globalKnownHostsFiles = (o.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'])
    .filter((f) => f.toLowerCase() !== 'none')
    .map(exp);

  const shk = o.strictHostKeyChecking;
  const strictHostKeyChecking = shk === 'accept-new' ? 'accept-new' : shk === 'no' || shk === 'off' ? 'no' : 'yes';

  const proxyJump = over.proxyJump ?? (o.proxy?.kind === 'jump' ? o.proxy.hops : []);
  const keyName = o.hostKeyAlias ? o.hostKeyAlias.toLowerCase() : port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;

  let agentSocket: string | undefined = over.authSock || undefined;
  if (o.identityAgent !== undefined) {
    const a = o.identityAgent;
    if (a.toLowerCase() === 'none') agentSocket = undefined;
    else if (a !== 'SSH_AUTH_SOCK') agentSocket = exp(a.replace(/^\$\{?SSH_AUTH_SOCK\}?$/, over.authSock ?? ''));
  }

  const connectTimeoutMs = over.connectTimeoutMs ?? (o.connectTimeout && o.connectTimeout > 0 ? o.connectTimeout * 1000 : undefined);
  const t: SshTarget = {
    spec,
    alias: parsed.host,
    host,
    port,
    user,
    identityFiles,
    defaultIdentityFiles,
    identitiesOnly: o.identitiesOnly ?? false,
    userKnownHostsFiles,
    globalKnownHostsFiles,
    strictHostKeyChecking,
    knownHostsName: keyName,
    proxyJump,
    keepaliveIntervalMs: (o.serverAliveInterval && o.serverAliveInterval > 0 ? o.serverAliveInterval : 15) * 1000,
    keepaliveCountMax: o.serverAliveCountMax && o.serverAliveCountMax > 0 ? o.serverAliveCountMax : 3,
    warnings: o.warnings,
  };
  if (connectTimeoutMs !== undefined) t.connectTimeoutMs = connectTimeoutMs;
  if (agentSocket) t.agentSocket = agentSocket;
  if (over.proxyJump === undefined && o.proxy?.kind === 'command') t.proxyCommand = { command: o.proxy.command, at: o.proxy.at };
  return t;
}
