// OpenSSH client config (ssh_config(5)): parse, resolve a target to host/port/user/keys/known_hosts/ProxyJump with first-match-wins; ssh2 reads no config, so this is ours.
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { TransportError } from '../errors.js';
import { wildcardMatch } from './known-hosts.js';

/** A `Host` or `Match` line that guards the lines after it. */
export type SshCondition = { kind: 'host'; patterns: string[] } | { kind: 'match'; args: string[] };

/** One `Keyword value…` line; `when` holds every guard that must hold (an Include's guard, then its own block's). */
export interface SshConfigLine {
  /** Lower-cased keyword. */
  keyword: string;
  args: string[];
  file: string;
  line: number;
  when: SshCondition[];
}

/** Splits a config line into words: whitespace (or one `=` after the keyword) separates, double quotes group. */
export function tokenizeSshConfigLine(text: string): string[] {
  const s = text.trim();
  const words: string[] = [];
  let i = 0;
  // The keyword may be followed by "=" instead of (or around) whitespace.
  const kw = /^([^\s=]+)\s*=?\s*/.exec(s);
  if (!kw) return words;
  words.push(kw[1]);
  i = kw[0].length;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let w = '';
    let quoted = false;
    while (i < s.length && (quoted || !/\s/.test(s[i]))) {
      if (s[i] === '"') quoted = !quoted;
      else w += s[i];
      i++;
    }
    if (quoted) throw new Error('unterminated quote');
    words.push(w);
  }
  return words;
}

/**
 * Parses ssh_config text into lines carrying their guards. `Include` lines are kept as they are;
 * readSshConfig expands them. Pure.
 */
export function parseSshConfig(text: string, file: string, outer: SshCondition[] = []): SshConfigLine[] {
  const out: SshConfigLine[] = [];
  let block: SshCondition | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    let words: string[];
    try {
      words = tokenizeSshConfigLine(trimmed);
    } catch (e) {
      throw new TransportError(`ssh config ${file}:${i + 1}: ${(e as Error).message}: ${trimmed}`);
    }
    const keyword = words[0].toLowerCase();
    const args = words.slice(1);
    if (keyword === 'host') {
      block = { kind: 'host', patterns: args };
      return;
    }
    if (keyword === 'match') {
      block = { kind: 'match', args };
      return;
    }
    out.push({ keyword, args, file, line: i + 1, when: block ? [...outer, block] : [...outer] });
  });
  return out;
}

/** `Host` semantics: any matching `!pattern` vetoes; otherwise one matching pattern is enough. */
export function hostPatternsMatch(patterns: string[], host: string): boolean {
  let hit = false;
  for (const p of patterns) {
    for (const q of p.split(',')) {
      if (q.startsWith('!')) {
        if (wildcardMatch(q.slice(1), host)) return false;
      } else if (wildcardMatch(q, host)) {
        hit = true;
      }
    }
  }
  return hit;
}

export interface SshConfigEnv {
  home: string;
  /** Local user name: the default remote user and `%u`. */
  localUser: string;
  /** Local host name for `%l` / `%L`. */
  localHost?: string;
}

async function expandInclude(pattern: string, base: string, home: string): Promise<string[]> {
  let p = pattern.startsWith('~/') ? join(home, pattern.slice(2)) : pattern;
  if (!isAbsolute(p)) p = join(base, p);
  const dir = dirname(p);
  const name = basename(p);
  if (/[*?]/.test(dir)) throw new TransportError(`ssh config: Include ${pattern}: wildcards are only supported in the file name`);
  if (!/[*?]/.test(name)) return [p];
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => wildcardMatch(name, n) && !n.startsWith('.')).sort().map((n) => join(dir, n));
}

/**
 * Reads config files in order (missing ones are skipped) and expands `Include` (relative paths
 * resolve against ~/.ssh for files under ~/.ssh, else /etc/ssh; `*` and `?` in the file name).
 */
export async function readSshConfig(files: string[], env: Pick<SshConfigEnv, 'home'>): Promise<SshConfigLine[]> {
  const out: SshConfigLine[] = [];
  const visit = async (file: string, outer: SshCondition[], depth: number): Promise<void> => {
    if (depth > 16) throw new TransportError(`ssh config: Include nested too deeply at ${file}`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    const base = file.startsWith(join(env.home, '.ssh')) ? join(env.home, '.ssh') : '/etc/ssh';
    for (const l of parseSshConfig(text, file, outer)) {
      if (l.keyword !== 'include') {
        out.push(l);
        continue;
      }
      for (const pat of l.args) {
        for (const f of await expandInclude(pat, base, env.home)) await visit(f, l.when, depth + 1);
      }
    }
  };
  for (const f of files) await visit(f, [], 0);
  return out;
}

/** The raw options that apply to a host, first value wins (IdentityFile accumulates). Values are not yet expanded. */
export interface SshHostOptions {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly?: boolean;
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  strictHostKeyChecking?: string;
  hostKeyAlias?: string;
  /** ProxyJump or ProxyCommand, whichever came first (`none` disables both). */
  proxy?: { kind: 'jump'; hops: string[] } | { kind: 'command'; command: string; at: string } | { kind: 'none' };
  connectTimeout?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  identityAgent?: string;
  /** Lines arrayflow could not honour (unsupported Match criteria). */
  warnings: string[];
}

function yesNo(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return /^(yes|true)$/i.test(v);
}

function evalMatch(args: string[], alias: string, opts: SshHostOptions, env: SshConfigEnv, where: string): boolean {
  for (let i = 0; i < args.length; i++) {
    let crit = args[i].toLowerCase();
    const negate = crit.startsWith('!');
    if (negate) crit = crit.slice(1);
    let ok: boolean;
    if (crit === 'all') {
      ok = true;
    } else if (['host', 'originalhost', 'user', 'localuser'].includes(crit)) {
      const value = args[++i] ?? '';
      const subject =
        crit === 'host' ? (opts.hostName ?? alias) : crit === 'originalhost' ? alias : crit === 'user' ? (opts.user ?? env.localUser) : env.localUser;
      ok = hostPatternsMatch([value], subject);
    } else {
      opts.warnings.push(`${where}: Match ${args.join(' ')}: "${crit}" is not supported; the block is ignored`);
      return false;
    }
    if (ok === negate) return false;
  }
  return true;
}

/** Applies the config lines to `alias` (the name as typed) with OpenSSH's first-match-wins rule. Pure. */
export function lookupSshHost(lines: SshConfigLine[], alias: string, env: SshConfigEnv): SshHostOptions {
  const o: SshHostOptions = { identityFiles: [], warnings: [] };
  const set = new Set<string>();
  const first = (k: string): boolean => {
    if (set.has(k)) return false;
    set.add(k);
    return true;
  };
  for (const l of lines) {
    const where = `${l.file}:${l.line}`;
    const applies = l.when.every((c) =>
      c.kind === 'host' ? hostPatternsMatch(c.patterns, alias) : evalMatch(c.args, alias, o, env, where),
    );
    if (!applies) continue;
    const v = l.args[0];
    switch (l.keyword) {
      case 'hostname':
        if (first('hostname')) o.hostName = v;
        break;
      case 'user':
        if (first('user')) o.user = v;
        break;
      case 'port':
        if (first('port')) {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1 || n > 65535) throw new TransportError(`ssh config ${where}: bad Port "${v}"`);
          o.port = n;
        }
        break;
      case 'identityfile':
        if (v !== undefined) o.identityFiles.push(v);
        break;
      case 'identitiesonly':
        if (first('identitiesonly')) o.identitiesOnly = yesNo(v);
        break;
      case 'userknownhostsfile':
        if (first('userknownhostsfile')) o.userKnownHostsFiles = l.args;
        break;
      case 'globalknownhostsfile':
        if (first('globalknownhostsfile')) o.globalKnownHostsFiles = l.args;
        break;
      case 'stricthostkeychecking':
        if (first('stricthostkeychecking')) o.strictHostKeyChecking = v?.toLowerCase();
        break;
      case 'hostkeyalias':
        if (first('hostkeyalias')) o.hostKeyAlias = v;
        break;
      case 'proxyjump':
      case 'proxycommand':
        if (first('proxy')) {
          if (v?.toLowerCase() === 'none') o.proxy = { kind: 'none' };
          else if (l.keyword === 'proxyjump') o.proxy = { kind: 'jump', hops: (v ?? '').split(',').filter(Boolean) };
          else o.proxy = { kind: 'command', command: l.args.join(' '), at: where };
        }
        break;
      case 'connecttimeout':
        if (first('connecttimeout')) o.connectTimeout = Number(v);
        break;
      case 'serveraliveinterval':
        if (first('serveraliveinterval')) o.serverAliveInterval = Number(v);
        break;
      case 'serveralivecountmax':
        if (first('serveralivecountmax')) o.serverAliveCountMax = Number(v);
        break;
      case 'identityagent':
        if (first('identityagent')) o.identityAgent = v;
        break;
      default:
        break;
    }
  }
  return o;
}

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
