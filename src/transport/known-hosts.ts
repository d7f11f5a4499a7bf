// OpenSSH known_hosts: parse (plain, [host]:port, comma lists, negation, wildcards, hashed |1| entries) and judge a server's host key; ssh2 has no known_hosts support, so this is ours.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  /** `@revoked` keys are refused; `@cert-authority` lines are kept but never match (no certificate support). */
  marker?: 'revoked' | 'cert-authority';
  /** Comma-separated host patterns (`host`, `[host]:port`, `*`, `?`, `!negated`); absent for hashed entries. */
  patterns?: string[];
  /** `|1|salt|hash`: HMAC-SHA1 of the host name keyed with the salt. */
  hashed?: { salt: Buffer; hash: Buffer };
  /** Key type as written, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The key blob, base64 as written. */
  key: string;
}

/** The name OpenSSH looks up in known_hosts: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Parses known_hosts text; malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return;
    }
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    const entry: KnownHostEntry = { file, line: i + 1, keyType, key };
    if (marker) entry.marker = marker;
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) return;
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      entry.patterns = hosts.split(',').filter((p) => p !== '');
    }
    out.push(entry);
  });
  return out;
}

/** `*` and `?` wildcards, case-insensitive, everything else literal (brackets included). */
export function wildcardMatch(pattern: string, s: string): boolean {
  const re = pattern
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(s.toLowerCase());
}

/** Whether a known_hosts line names `name` (as built by knownHostName). A matching `!pattern` excludes. */
export function entryMatchesHost(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return mac.length === entry.hashed.hash.length && timingSafeEqual(mac, entry.hashed.hash);
  }
  let hit = false;
  for (const p of entry.patterns ?? []) {
    if (p.startsWith('!')) {
      if (wildcardMatch(p.slice(1), name)) return false;
    } else if (wildcardMatch(p, name)) {
      hit = true;
    }
  }
  return hit;
}

/** The key type inside an SSH public key blob (its first length-prefixed string). */
export function keyBlobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || 4 + n > blob.length) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}

const LABELS: Record<string, string> = {
  'ssh-ed25519': 'ED25519',
  'ssh-rsa': 'RSA',
  'ssh-dss': 'DSA',
  'ecdsa-sha2-nistp256': 'ECDSA',
  'ecdsa-sha2-nistp384': 'ECDSA',
  'ecdsa-sha2-nistp521': 'ECDSA',
  'sk-ssh-ed25519@openssh.com': 'ED25519-SK',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'ECDSA-SK',
};

/** `ED25519 SHA256:…`, the way ssh and ssh-keygen -l print a key. */
export function describeHostKey(blob: Buffer): string {
  const type = keyBlobType(blob) ?? 'unknown';
  const fp = createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  return `${LABELS[type] ?? type.toUpperCase()} SHA256:${fp}`;
}

export type HostKeyVerdict =
  | { status: 'known'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** Another key of the same type is recorded for this host. */
  | { status: 'changed'; entry: KnownHostEntry }
  /** Nothing recorded for this key type; `otherTypes` lists keys of other types recorded for the host. */
  | { status: 'unknown'; otherTypes: KnownHostEntry[] };

function entryType(e: KnownHostEntry): string {
  return keyBlobType(Buffer.from(e.key, 'base64')) ?? e.keyType;
}

/** Judges the server's key blob against the parsed entries for `name` (knownHostName form). Pure. */
export function checkHostKey(entries: KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e, name));
  const b64 = blob.toString('base64');
  const revoked = mine.find((e) => e.marker === 'revoked' && e.key === b64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const same = mine.find((e) => e.marker === undefined && e.key === b64);
  if (same) return { status: 'known', entry: same };
  const type = keyBlobType(blob);
  const changed = mine.find((e) => e.marker === undefined && entryType(e) === type);
  if (changed) return { status: 'changed', entry: changed };
  return { status: 'unknown', otherTypes: mine.filter((e) => e.marker === undefined) };
}

/** Reads and parses known_hosts files; missing or unreadable files count as empty. */
export async function readKnownHosts(files: string[]): Promise<KnownHostEntry[]> {
  const all: KnownHostEntry[] = [];
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    all.push(...parseKnownHosts(text, f));
  }
  return all;
}

/** Host key algorithms to offer first for a host, so the server presents a key type we already know. */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], name: string): string[] {
  const algos: string[] = [];
  for (const e of entries) {
    if (e.marker !== undefined || !entryMatchesHost(e, name)) continue;
    const t = entryType(e);
    const list = t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t];
    for (const a of list) if (!algos.includes(a)) algos.push(a);
  }
  return algos;
}

/** Appends `name type key` to a known_hosts file (StrictHostKeyChecking accept-new/no learns keys, like ssh). */
export async function appendKnownHost(file: string, name: string, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${name} ${keyBlobType(blob) ?? 'unknown'} ${blob.toString('base64')}\n`, { mode: 0o644 });
}
