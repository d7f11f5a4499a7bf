// Tests for src/transport/ssh-host-key.ts: accept, learn or refuse a server's host key, the messages, and the algorithms asked for.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import { parseKnownHosts } from '../../src/transport/known-hosts.js';
import { decideHostKey, hostKeyAlgorithmsFor, learnedKeyFile } from '../../src/transport/ssh-host-key.js';

const ENV = { home: '/home/ada' };
const KH = '/home/ada/.ssh/known_hosts';
/** A target on a non-standard port, as the test sshd is. */
const target = (over: Partial<Parameters<typeof decideHostKey>[1]> = {}) => ({
  host: 'login.example.org',
  port: 2222,
  knownHostsName: '[login.example.org]:2222',
  userKnownHostsFiles: [KH],
  strictHostKeyChecking: 'yes' as const,
  ...over,
});

/** Real keys made by ssh-keygen: blob (base64) and the fingerprint `ssh-keygen -l` prints. */
async function keygen(dir: string, name: string, type: string): Promise<{ b64: string; blob: Buffer; shown: string }> {
  const file = join(dir, name);
  await execa('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const b64 = (await readFile(`${file}.pub`, 'utf8')).split(' ')[1];
  const [, fp, label] = /^\d+ (\S+) .* \((\S+)\)$/.exec((await execa('ssh-keygen', ['-lf', `${file}.pub`])).stdout)!;
  return { b64, blob: Buffer.from(b64, 'base64'), shown: `${label} ${fp}` };
}

t.test('decideHostKey: known, revoked, changed, unknown, learned', async (t) => {
  const dir = t.testdir({});
  const a = await keygen(dir, 'a', 'ed25519');
  const b = await keygen(dir, 'b', 'ed25519');
  const ec = await keygen(dir, 'ec', 'ecdsa');
  const name = '[login.example.org]:2222';

  const known = parseKnownHosts(`${name} ssh-ed25519 ${a.b64}\n`, KH);
  t.same(decideHostKey(known, target(), a.blob, ENV), { accept: true, learn: false });

  const revoked = parseKnownHosts(`# first\n@revoked ${name} ssh-ed25519 ${a.b64}\n`, KH);
  t.same(decideHostKey(revoked, target({ strictHostKeyChecking: 'no' }), a.blob, ENV), {
    accept: false,
    problem: `ssh: the host key of ${name} (${a.shown}) is marked @revoked in ${KH}:2; refusing to connect`,
  });

  const changed = parseKnownHosts(`${name} ssh-ed25519 ${b.b64}\n`, KH);
  for (const strict of ['yes', 'accept-new', 'no'] as const) {
    t.same(
      decideHostKey(changed, target({ strictHostKeyChecking: strict }), a.blob, ENV),
      {
        accept: false,
        problem:
          `ssh: @@@ HOST KEY CHANGED for ${name} @@@ The server offers ${a.shown}, but ${KH}:1 holds ${b.shown}. ` +
          'Someone could be intercepting the connection (man-in-the-middle), or the administrators replaced the host key. ' +
          `arrayflow refuses to connect. Once they confirm the new fingerprint, remove the old line with: ssh-keygen -R '${name}' -f ${KH}`,
      },
      `changed key refused with StrictHostKeyChecking ${strict}`,
    );
  }

  t.same(decideHostKey([], target(), a.blob, ENV), {
    accept: false,
    problem: `ssh: host key for ${name} is not known (${a.shown}). To trust it, verify the fingerprint and run: ssh-keyscan -p 2222 login.example.org >> ~/.ssh/known_hosts`,
  });
  t.same(decideHostKey([], target({ strictHostKeyChecking: 'accept-new' }), a.blob, ENV), { accept: true, learn: true });
  t.same(decideHostKey([], target({ strictHostKeyChecking: 'no' }), a.blob, ENV), { accept: true, learn: true });

  // Only an ECDSA key on record: a new ED25519 key is not learned, even with accept-new.
  const other = parseKnownHosts(`${name} ecdsa-sha2-nistp256 ${ec.b64}\n`, KH);
  const d = decideHostKey(other, target({ strictHostKeyChecking: 'accept-new' }), a.blob, ENV);
  t.same(d, {
    accept: false,
    problem:
      `ssh: host key for ${name} is not known (${a.shown}). ${KH}:1 holds a key of another type (ecdsa-sha2-nistp256) for it. ` +
      'To trust it, verify the fingerprint and run: ssh-keyscan -p 2222 login.example.org >> ~/.ssh/known_hosts',
  });
});

t.test('the unknown-key message: port 22, HostKeyAlias, a known_hosts outside HOME', async (t) => {
  const dir = t.testdir({});
  const a = await keygen(dir, 'a', 'ed25519');
  const plain = decideHostKey([], target({ port: 22, knownHostsName: 'login.example.org', userKnownHostsFiles: ['/etc/kh'] }), a.blob, ENV);
  t.match(plain, { accept: false, problem: /run: ssh-keyscan login\.example\.org >> \/etc\/kh$/ });
  const aliased = decideHostKey([], target({ knownHostsName: 'cluster-vip' }), a.blob, ENV);
  t.match(aliased, {
    problem: /^ssh: host key for cluster-vip is not known .* >> ~\/\.ssh\/known_hosts \(then replace the host name with cluster-vip: HostKeyAlias\)$/,
  });
});

t.test('learnedKeyFile: the first UserKnownHostsFile, else ~/.ssh/known_hosts', async (t) => {
  t.equal(learnedKeyFile({ userKnownHostsFiles: ['/a', '/b'] }, ENV), '/a');
  t.equal(learnedKeyFile({ userKnownHostsFiles: [] }, ENV), '/home/ada/.ssh/known_hosts');
});

t.test('hostKeyAlgorithmsFor: the types on record first, only those ssh2 speaks', async (t) => {
  const dir = t.testdir({});
  const a = await keygen(dir, 'a', 'ed25519');
  const rsa = await keygen(dir, 'r', 'rsa');
  // A security-key type (no FIDO device here, so the blob is built by hand): ssh2 cannot verify it.
  const skName = Buffer.from('sk-ssh-ed25519@openssh.com');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(skName.length);
  const sk = Buffer.concat([len, skName, Buffer.alloc(36)]).toString('base64');
  const entries = parseKnownHosts(
    `h sk-ssh-ed25519@openssh.com ${sk}\nh ssh-rsa ${rsa.b64}\nh ssh-ed25519 ${a.b64}\nother ssh-ed25519 ${a.b64}\n@revoked h ssh-dss AAAA\n`,
    KH,
  );
  t.same(hostKeyAlgorithmsFor(entries, 'h'), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  t.same(hostKeyAlgorithmsFor(entries, 'nobody'), []);
});
