// Host key decisions for one hop: accept, learn or refuse the server's key against known_hosts, and the messages that say why and what to run.
import { join } from 'node:path';
import { checkHostKey, describeHostKey, preferredHostKeyAlgorithms, type KnownHostEntry } from './known-hosts.js';
import type { SshTarget } from './ssh-target.js';
import { tilde, type Env } from './ssh-env.js';

type HostKeyTarget = Pick<SshTarget, 'host' | 'port' | 'knownHostsName' | 'userKnownHostsFiles' | 'strictHostKeyChecking'>;

/** What to do with the key a server offers: accept it (and record it when `learn`), or refuse with `problem`. */
export type HostKeyDecision = { accept: true; learn: boolean } | { accept: false; problem: string };

/** Judges the server's key blob for target `t` against parsed known_hosts entries. Pure. */
export function decideHostKey(entries: KnownHostEntry[], t: HostKeyTarget, key: Buffer, env: Pick<Env, 'home'>): HostKeyDecision {
  const v = checkHostKey(entries, t.knownHostsName, key);
  if (v.status === 'known') return { accept: true, learn: false };
  if (v.status === 'revoked') {
    return {
      accept: false,
      problem: `ssh: the host key of ${t.knownHostsName} (${describeHostKey(key)}) is marked @revoked in ${v.entry.file}:${v.entry.line}; refusing to connect`,
    };
  }
  // A changed key is refused whatever StrictHostKeyChecking says: arrayflow runs unattended, so nobody would see a warning.
  if (v.status === 'changed') return { accept: false, problem: hostKeyChangedMessage(t, key, v.entry) };
  // A new key is learned only when StrictHostKeyChecking allows it and no key of another type is on record for the host.
  if (t.strictHostKeyChecking !== 'yes' && v.otherTypes.length === 0) return { accept: true, learn: true };
  return { accept: false, problem: hostKeyUnknownMessage(t, key, v.otherTypes, env) };
}

/** The known_hosts file a learned key goes to: the first UserKnownHostsFile. */
export function learnedKeyFile(t: Pick<SshTarget, 'userKnownHostsFiles'>, env: Pick<Env, 'home'>): string {
  return t.userKnownHostsFiles[0] ?? join(env.home, '.ssh', 'known_hosts');
}

export function hostKeyUnknownMessage(t: HostKeyTarget, blob: Buffer, others: KnownHostEntry[], env: Pick<Env, 'home'>): string {
  const file = tilde(learnedKeyFile(t, env), env.home);
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

export function hostKeyChangedMessage(t: Pick<SshTarget, 'knownHostsName'>, blob: Buffer, entry: KnownHostEntry): string {
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

/** The host key algorithms to ask the server for first (those of keys already on record), limited to what ssh2 speaks. */
export function hostKeyAlgorithmsFor(entries: KnownHostEntry[], name: string): string[] {
  return preferredHostKeyAlgorithms(entries, name).filter((a) => SSH2_HOST_KEY_ALGOS.has(a));
}
