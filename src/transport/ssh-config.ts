// OpenSSH client config (ssh_config(5)): read files with Include, then the options one host gets (Host/Match guards, first value wins). The ssh-config package reads each line; the rest stays ours because its compute() reads no Include, lets `?` match no character, matches Host case-sensitively, ignores `Match !crit`, takes the OS user for Match user/localuser and keeps no line numbers (checked against ssh-config 5.3.0: see "ssh-config's compute()" in test/transport/ssh-config.test.ts).
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig, { LineType } from 'ssh-config';
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

/**
 * Splits one config line into its keyword and values as the ssh-config package reads them: `=` or
 * whitespace after the keyword, double quotes group, a ` #` starts a comment; multi-value keywords
 * (Host, Match, Include, ProxyCommand, *KnownHostsFile) give one word per value, others one value.
 */
export function tokenizeSshConfigLine(text: string): string[] {
  const s = text.trim();
  // A keyword alone: ssh-config would read values from the next line (or fail), so it has none here.
  if (/^[^\s=]+$/.test(s)) return [s];
  let nodes: SSHConfig;
  try {
    // ssh_config has no continuation lines, so parsing line by line reads the same and keeps line numbers.
    nodes = SSHConfig.parse(s);
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(/^Unexpected line break/.test(msg) ? `unterminated quote (${msg})` : msg);
  }
  const d = nodes.find((n) => n.type === LineType.DIRECTIVE);
  if (!d || d.type !== LineType.DIRECTIVE) return [];
  const values = Array.isArray(d.value) ? d.value.map((v) => v.val) : d.value === '' ? [] : [d.value];
  return [d.param, ...values];
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
    if (words.length === 0) throw new TransportError(`ssh config ${file}:${i + 1}: no keyword: ${trimmed}`);
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
