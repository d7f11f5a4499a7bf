// Tests for src/transport/ssh.ts against the real test sshd (scripts/sshd-up.sh): one connection, quoting, config, host keys, auth, reconnect, SFTP.
import { existsSync } from 'node:fs';
import { appendFile, chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { execa } from 'execa';
import { TransportError } from '../../src/errors.js';
import { remoteCommand, SshTransport } from '../../src/transport/ssh.js';
import { isUncertain } from '../../src/transport/transport.js';
import { startAgent, writeSshConfig as writeConfig } from '../helpers/ssh-fixtures.js';
import { requireSshd, slurmStateDir, sshConfigPath, sshKeyPath, sshKnownHostsPath, sshPort, SSH_HOST_ALIAS } from '../helpers/slurm.js';

const sshdLog = () => join(slurmStateDir(), 'log', 'sshd.log');
const sshdPid = async () => Number((await readFile(join(slurmStateDir(), 'run', 'sshd.pid'), 'utf8')).trim());
/** An environment with no agent and a HOME without ~/.ssh, so only what a test configures is used. */
const bareEnv = (home: string): NodeJS.ProcessEnv => ({ HOME: home, USER: 'root', PATH: process.env.PATH });

/** The per-connection sshd processes (not the listener) whose peer is our local port. */
async function sessionPids(localPort: number): Promise<number[]> {
  const r = await execa('ss', ['-Htnp', 'state', 'established', `( sport = :${sshPort()} and dport = :${localPort} )`]);
  const listener = await sshdPid();
  return [...r.stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])).filter((p) => p !== listener);
}

/** Kills the sshd child serving our connection (other users of the sshd are not touched). */
async function killSession(t: Test, s: SshTransport): Promise<void> {
  const port = s.localPort;
  t.ok(port, 'the transport knows its local port');
  const pids = await sessionPids(port!);
  t.ok(pids.length > 0, `found the sshd process serving port ${port}`);
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e; // already gone
    }
  }
}

async function acceptedFor(logOffset: number, port: number): Promise<number> {
  const text = (await readFile(sshdLog())).subarray(logOffset).toString();
  return text.split('\n').filter((l) => l.includes('Accepted publickey') && l.includes(` port ${port} `)).length;
}

t.test('remoteCommand: one quoting layer, NUL refused', async (t) => {
  t.equal(remoteCommand(['squeue', '--me', '-h', '-o', '%i|%T']), "squeue --me -h -o '%i|%T'");
  t.equal(remoteCommand(['echo', "it's", '']), `echo 'it'\\''s' ''`);
  t.throws(() => remoteCommand([]), { name: 'TransportError' });
  t.throws(() => remoteCommand(['echo', 'a\0b']), { name: 'TransportError', message: /NUL/ });
});

t.test('an unreachable host fails at once with a TransportError (the first connect is not retried)', async (t) => {
  const dir = t.testdir({ ssh_config: '' });
  const started = Date.now();
  await t.rejects(SshTransport.connect('root@127.0.0.1:1', { configFile: join(dir, 'ssh_config'), env: bareEnv(dir) }), {
    name: 'TransportError',
    message: /^ssh: cannot connect to root@127\.0\.0\.1:1: .*ECONNREFUSED/,
  });
  t.ok(Date.now() - started < 3000);
  await t.rejects(SshTransport.connect('cluster', { configFile: join(dir, 'missing') }), { name: 'TransportError', message: /cannot read config file/ });
});

t.test('a server that wants a password or keyboard-interactive: refused without prompting', async (t) => {
  // An in-process ssh2 server (no sshd needed) that records every auth method the client tries.
  const require = createRequire(import.meta.url);
  const ssh2 = require('ssh2') as {
    Server: new (cfg: object, onClient: (c: NodeJS.EventEmitter) => void) => import('node:net').Server;
    utils: { generateKeyPairSync(type: string): { private: string; public: string } };
  };
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  const userKey = ssh2.utils.generateKeyPairSync('ed25519');
  const tried: string[] = [];
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (ctx: { method: string; reject(methods: string[]): void }) => {
      tried.push(ctx.method);
      ctx.reject(['keyboard-interactive', 'password']);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const port = (server.address() as import('node:net').AddressInfo).port;
  const dir = t.testdir({
    ssh_config: '',
    id_ed25519: userKey.private,
    known_hosts: `[127.0.0.1]:${port} ${hostKey.public.split(' ').slice(0, 2).join(' ')}\n`,
  });
  await chmod(join(dir, 'id_ed25519'), 0o600);
  const started = Date.now();
  await t.rejects(
    SshTransport.connect(`ada@127.0.0.1:${port}`, {
      configFile: join(dir, 'ssh_config'),
      identityFile: join(dir, 'id_ed25519'),
      knownHostsFile: join(dir, 'known_hosts'),
      env: bareEnv(dir),
    }),
    {
      name: 'TransportError',
      message:
        `ssh: authentication to ada@127.0.0.1:${port} failed (tried keys: ~/id_ed25519, agent: none (SSH_AUTH_SOCK is not set); ` +
        'the server offers only keyboard-interactive, password) — add your key with ssh-copy-id or ssh-add; arrayflow never asks for a password',
    },
  );
  t.ok(Date.now() - started < 3000, 'no hang');
  t.same(tried, ['none'], 'only the probe: no key for a server without publickey, and never a password');
});

t.test('live: one connection for echo, sbatch --version and squeue; calls counted', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const logOffset = (await stat(sshdLog())).size;
  const s = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => s.close());
  const port = s.localPort!;
  const echo = await s.run(['echo', 'hello', 'world']);
  t.same(echo, { stdout: 'hello world\n', stderr: '', exitCode: 0 });
  const v = await s.run(['sbatch', '--version'], { idempotent: true });
  t.equal(v.exitCode, 0, v.stderr);
  t.match(v.stdout, /^slurm/);
  const q = await s.run(['squeue', '-h', '-j', '999999999'], { idempotent: true });
  t.not(q.exitCode, 0, 'squeue answers (an unknown job id is an error, but it ran)');
  t.match(q.stderr, /Invalid job id/);
  const exit3 = await s.run(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  t.same(exit3, { stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
  t.equal((await s.run(['sh', '-c', 'kill -9 $$'])).exitCode, 137, 'a signal becomes 128+N, as in a shell');
  // Concurrent calls share the connection too (more than sshd's MaxSessions=10 at once).
  const many = await Promise.all(Array.from({ length: 12 }, (_, i) => s.run(['echo', String(i)], { idempotent: true })));
  t.same(
    many.map((r) => r.stdout),
    Array.from({ length: 12 }, (_, i) => `${i}\n`),
  );
  t.equal(s.connections, 1, 'ssh2 became ready once');
  t.same(Object.fromEntries(s.calls), { echo: 13, sbatch: 1, squeue: 1, sh: 2 });
  t.equal(await acceptedFor(logOffset, port), 1, 'sshd logged one "Accepted publickey" for our port');
});

t.test('live: a command over its timeout is killed; uncertain unless idempotent; the connection stays', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const s = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => s.close());
  const started = Date.now();
  const e1 = await s.run(['sleep', '5'], { timeoutMs: 500 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(Date.now() - started < 5000, 'gave up at the timeout');
  t.match(e1, { name: 'TransportError', message: /^ssh: sleep on root@127\.0\.0\.1:\d+ timed out after 500 ms; it may or may not have taken effect$/ });
  t.ok(isUncertain(e1), 'a non-idempotent command that timed out is uncertain');
  const e2 = await s.run(['sleep', '5'], { timeoutMs: 300, idempotent: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(e2, { name: 'TransportError', message: /timed out after 300 ms$/ });
  t.notOk(isUncertain(e2));
  t.equal((await s.run(['echo', 'still here'])).stdout, 'still here\n');
  t.equal(s.connections, 1);
});

t.test('live: argv words reach the remote program unchanged, nothing is evaluated', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({});
  const marker = join(dir, 'pwned');
  const words = [
    `$(touch ${marker}); 'q' "d"`,
    `\`touch ${marker}\``,
    `; touch ${marker}`,
    '*',
    '~',
    '$HOME',
    '',
    'two  spaces',
    'new\nline',
    'back\\slash',
    '-n',
    'ünïcødé ✓',
    "it's",
  ];
  const s = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => s.close());
  const r = await s.run(['printf', '%s\\0', ...words]);
  t.equal(r.exitCode, 0, r.stderr);
  t.same(r.stdout.split('\0').slice(0, -1), words);
  const e = await s.run(['echo', `$(touch ${marker}); 'q' "d"`]);
  t.equal(e.stdout, `$(touch ${marker}); 'q' "d"\n`);
  t.notOk(existsSync(marker), 'no command substitution ran');
});

t.test('live: Host alias from a temp ssh_config (HostName, Port, IdentityFile, UserKnownHostsFile)', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({});
  const configFile = await writeConfig(dir, [
    `IdentityFile ${sshKeyPath()}`,
    'IdentitiesOnly yes',
    `UserKnownHostsFile ${sshKnownHostsPath()}`,
  ]);
  const s = await SshTransport.connect('cluster', { configFile, env: bareEnv(dir) });
  t.teardown(() => s.close());
  t.match(s.target, { alias: 'cluster', host: '127.0.0.1', port: sshPort(), user: 'root', knownHostsName: `[127.0.0.1]:${sshPort()}` });
  t.equal((await s.run(['whoami'])).stdout, 'root\n');

  // user@host:port works with the same key given as an option, no config at all.
  const empty = join(dir, 'empty_config');
  await writeFile(empty, '');
  const direct = await SshTransport.connect(`root@127.0.0.1:${sshPort()}`, {
    configFile: empty,
    identityFile: sshKeyPath(),
    knownHostsFile: sshKnownHostsPath(),
    env: bareEnv(dir),
  });
  t.teardown(() => direct.close());
  t.equal((await direct.run(['echo', 'direct'])).stdout, 'direct\n');
});

t.test('live: ProxyJump through a jump host (the same sshd, via forwardOut)', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({});
  const common = [`IdentityFile ${sshKeyPath()}`, 'IdentitiesOnly yes', `UserKnownHostsFile ${sshKnownHostsPath()}`];
  const file = join(dir, 'ssh_config');
  await writeFile(
    file,
    [
      'Host behind',
      '  ProxyJump root@jump',
      'Host jump behind',
      '  HostName 127.0.0.1',
      `  Port ${sshPort()}`,
      '  User root',
      ...common.map((l) => `  ${l}`),
      '',
    ].join('\n'),
  );
  const s = await SshTransport.connect('behind', { configFile: file, env: bareEnv(dir) });
  t.teardown(() => s.close());
  t.same(s.target.proxyJump, ['root@jump']);
  const r = await s.run(['sh', '-c', 'echo "$SSH_CONNECTION"']);
  t.equal(r.exitCode, 0);
  // The target sees a connection from the jump host's sshd, not from our local port.
  t.not(r.stdout.split(' ')[1], String(s.localPort), 'the session arrived through the jump host');
  t.equal(s.connections, 1);
});

t.test('live: ssh-agent keys are used when no IdentityFile is configured', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({});
  const sock = await startAgent(t, [sshKeyPath()]);
  const configFile = await writeConfig(dir, [`UserKnownHostsFile ${sshKnownHostsPath()}`]);
  const s = await SshTransport.connect('cluster', { configFile, env: { ...bareEnv(dir), SSH_AUTH_SOCK: sock } });
  t.teardown(() => s.close());
  t.equal((await s.run(['echo', 'via agent'])).stdout, 'via agent\n');

  // IdentitiesOnly with an unrelated IdentityFile: the agent's key is not offered, so login fails.
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'unrelated')]);
  const only = await writeConfig(dir, [`IdentityFile ${join(dir, 'unrelated')}`, 'IdentitiesOnly yes', `UserKnownHostsFile ${sshKnownHostsPath()}`]);
  await t.rejects(SshTransport.connect('cluster', { configFile: only, env: { ...bareEnv(dir), SSH_AUTH_SOCK: sock } }), {
    name: 'TransportError',
    message: /tried keys: ~\/unrelated, agent: 0 keys at \S+ \(IdentitiesOnly: 1 not in IdentityFile skipped\)/,
  });
});

t.test('live: an unknown host key is refused with the fingerprint and the ssh-keyscan line', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({ known_hosts: '' });
  const knownHosts = join(dir, 'known_hosts'); // HOME is `dir` here, so the message says ~/known_hosts
  const fp = (await execa('ssh-keygen', ['-lf', join(slurmStateDir(), 'ssh', 'ssh_host_ed25519_key.pub')])).stdout.split(' ')[1];
  const configFile = await writeConfig(dir, [`IdentityFile ${sshKeyPath()}`, `UserKnownHostsFile ${knownHosts}`, 'StrictHostKeyChecking yes']);
  const err = await SshTransport.connect('cluster', { configFile, env: bareEnv(dir) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, TransportError);
  const p = sshPort();
  t.equal(
    (err as Error).message,
    `ssh: host key for [127.0.0.1]:${p} is not known (ED25519 ${fp}). To trust it, verify the fingerprint and run: ` +
      `ssh-keyscan -p ${p} 127.0.0.1 >> ~/known_hosts`,
  );
  t.equal(await readFile(knownHosts, 'utf8'), '', 'known_hosts is not touched');

  // StrictHostKeyChecking no (or accept-new) accepts a new key and records it, like ssh.
  const lax = await writeConfig(dir, [`IdentityFile ${sshKeyPath()}`, `UserKnownHostsFile ${knownHosts}`, 'StrictHostKeyChecking accept-new']);
  const s = await SshTransport.connect('cluster', { configFile: lax, env: bareEnv(dir) });
  t.teardown(() => s.close());
  t.equal((await s.run(['echo', 'ok'])).stdout, 'ok\n');
  t.equal(await readFile(knownHosts, 'utf8'), await readFile(sshKnownHostsPath(), 'utf8'), 'the learned line equals the one sshd-up.sh wrote');
});

t.test('live: a changed host key is refused loudly, even with StrictHostKeyChecking no', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({});
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'impostor')]);
  const impostor = (await readFile(join(dir, 'impostor.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `# line 1 is a comment\nother.example.org ${impostor}\n[127.0.0.1]:${sshPort()} ${impostor}\n`);
  for (const strict of ['yes', 'no']) {
    const configFile = await writeConfig(dir, [`IdentityFile ${sshKeyPath()}`, `UserKnownHostsFile ${knownHosts}`, `StrictHostKeyChecking ${strict}`]);
    await t.rejects(SshTransport.connect('cluster', { configFile, env: bareEnv(dir) }), {
      name: 'TransportError',
      code: 'E_TRANSPORT',
      message: new RegExp(
        `^ssh: @@@ HOST KEY CHANGED for \\[127\\.0\\.0\\.1\\]:${sshPort()} @@@ The server offers ED25519 SHA256:\\S+, but ${knownHosts}:3 holds ED25519 SHA256:\\S+\\. ` +
          `Someone could be intercepting .* ssh-keygen -R '\\[127\\.0\\.0\\.1\\]:${sshPort()}' -f ${knownHosts}$`,
      ),
    });
  }
});

t.test('live: no usable key fails fast with the message, never a password prompt', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({});
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'not_authorized')]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', join(dir, 'locked')]);
  const p = sshPort();
  const cases: [string, string[], RegExp][] = [
    [
      'a key the server does not accept',
      [`IdentityFile ${join(dir, 'not_authorized')}`],
      /tried keys: ~\/not_authorized, agent: none \(SSH_AUTH_SOCK is not set\)\)/,
    ],
    ['a missing key file', [`IdentityFile ${join(dir, 'nope')}`], /tried keys: ~\/nope \(missing\), agent: none/],
    ['a passphrase-protected key', [`IdentityFile ${join(dir, 'locked')}`], /tried keys: ~\/locked \(passphrase-protected: load it with ssh-add\)/],
    ['no key at all (no ~/.ssh)', [], /tried keys: none found in ~\/\.ssh, agent: none/],
  ];
  for (const [what, lines, detail] of cases) {
    const configFile = await writeConfig(dir, [...lines, `UserKnownHostsFile ${sshKnownHostsPath()}`]);
    const started = Date.now();
    const err = await SshTransport.connect('cluster', { configFile, env: bareEnv(dir), connectTimeoutMs: 20_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    t.type(err, TransportError, what);
    const msg = (err as Error).message;
    t.match(msg, new RegExp(`^ssh: authentication to root@127\\.0\\.0\\.1:${p} failed \\(tried keys: `), what);
    t.match(msg, detail, what);
    t.match(msg, / — add your key with ssh-copy-id or ssh-add; arrayflow never asks for a password$/, what);
    t.ok(took < 5000, `${what}: failed in ${took} ms`);
  }
});

t.test('live: a dropped connection is reopened; idempotent calls rerun, others are uncertain', { timeout: 120_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const dir = t.testdir({});
  const s = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => s.close());
  t.equal((await s.run(['echo', 'first'])).stdout, 'first\n');

  // Killed while idle: the next call notices and reconnects.
  await killSession(t, s);
  await sleep(200);
  t.equal((await s.run(['echo', 'after idle drop'], { idempotent: true })).stdout, 'after idle drop\n');
  t.equal(s.connections, 2);

  // Killed mid-call, not idempotent (think sbatch): uncertain, the caller must look before resubmitting.
  const flag = join(dir, 'ran');
  const sbatchLike = s.run(['sh', '-c', `touch ${flag}; sleep 3; echo submitted`]);
  for (let i = 0; i < 50 && !existsSync(flag); i++) await sleep(50);
  await killSession(t, s);
  const err = await sbatchLike.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(err, TransportError);
  t.ok(isUncertain(err), 'uncertain = true');
  t.match((err as Error).message, /dropped while running sh; it may or may not have run/);
  t.ok(existsSync(flag), 'it did start: exactly why a blind retry would be wrong');

  // The next idempotent call reconnects.
  const q = await s.run(['echo', 'status query'], { idempotent: true });
  t.equal(q.stdout, 'status query\n');
  t.equal(s.connections, 3);

  // Killed mid-call, idempotent: rerun on a new connection, the caller sees only the answer.
  const count = join(dir, 'count');
  const status = s.run(['sh', '-c', `echo x >> ${count}; sleep 1; echo done`], { idempotent: true });
  for (let i = 0; i < 50 && !existsSync(count); i++) await sleep(50);
  await killSession(t, s);
  const r = await status;
  t.same(r, { stdout: 'done\n', stderr: '', exitCode: 0 });
  t.equal((await readFile(count, 'utf8')).split('\n').length - 1, 2, 'it ran twice');
  t.equal(s.connections, 4);
  t.equal(s.calls.get('sh'), 3, 'calls counts every execution, retries included');

  // SFTP calls are idempotent: a drop is invisible.
  await killSession(t, s);
  t.match(await s.stat('/'), { isDirectory: true });
  t.equal(s.connections, 5);
});

t.test('live: sshd unreachable during reconnect: backoff, then a clear error', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  // A local TCP relay in front of sshd lets the test make the host unreachable without touching the shared sshd.
  const net = await import('node:net');
  const sockets = new Set<import('node:net').Socket>();
  let up = true;
  const relay = net.createServer((c) => {
    if (!up) return c.destroy();
    const u = net.connect(sshPort(), '127.0.0.1');
    sockets.add(c).add(u);
    c.pipe(u).pipe(c);
    const done = () => {
      c.destroy();
      u.destroy();
    };
    c.on('error', done).on('close', done);
    u.on('error', done).on('close', done);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  t.teardown(() => relay.close());
  const relayPort = (relay.address() as import('node:net').AddressInfo).port;
  const dir = t.testdir({});
  const knownHosts = join(dir, 'known_hosts');
  const line = (await readFile(sshKnownHostsPath(), 'utf8')).trim().split(' ').slice(1).join(' ');
  await writeFile(knownHosts, `[127.0.0.1]:${relayPort} ${line}\n`);
  await writeFile(join(dir, 'empty_config'), '');
  const s = await SshTransport.connect(`root@127.0.0.1:${relayPort}`, {
    configFile: join(dir, 'empty_config'),
    identityFile: sshKeyPath(),
    knownHostsFile: knownHosts,
    env: bareEnv(dir),
    reconnectDelaysMs: [0, 200, 400],
  });
  t.teardown(() => s.close());
  t.equal((await s.run(['echo', 'via relay'])).stdout, 'via relay\n');

  up = false;
  for (const x of sockets) x.destroy();
  const started = Date.now();
  await t.rejects(s.run(['echo', 'x'], { idempotent: true }), {
    name: 'TransportError',
    message: new RegExp(`^ssh: lost the connection to root@127\\.0\\.0\\.1:${relayPort} and could not reconnect \\(3 attempts over`),
  });
  t.ok(Date.now() - started >= 600, 'it waited 0.2 + 0.4 s between attempts');

  up = true;
  t.equal((await s.run(['echo', 'back'], { idempotent: true })).stdout, 'back\n', 'a later call tries again');
  await s.close();
  await t.rejects(s.run(['echo', 'x']), { name: 'TransportError', message: /closed by close\(\)/ });
});

t.test('live: putDir + readFile with offset round trip; stat, listDir, mkdirp', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const local = t.testdir({
    src: {
      'run.sh': '#!/bin/sh\necho ran\n',
      'params.json': '{"alpha":0.5}\n',
      nested: { deeper: { 'data.bin': Buffer.from([0, 1, 2, 255]) } },
      empty: {},
    },
  });
  await chmod(join(local, 'src', 'run.sh'), 0o755);
  const remote = join(t.testdirName, 'remote', 'ensemble');
  const s = await SshTransport.connect(SSH_HOST_ALIAS, { configFile: sshConfigPath() });
  t.teardown(() => s.close());

  t.equal(await s.stat(remote), null, 'stat of a missing path is null');
  await s.putDir(join(local, 'src'), remote);
  t.same(
    (await s.listDir(remote)).map((e) => [e.name, e.isDirectory]),
    [
      ['empty', true],
      ['nested', true],
      ['params.json', false],
      ['run.sh', false],
    ],
  );
  t.equal((await s.stat(join(remote, 'run.sh')))?.mode, 0o755, 'modes are kept');
  t.equal((await s.run([join(remote, 'run.sh')])).stdout, 'ran\n');
  t.same(await s.readFile(join(remote, 'nested', 'deeper', 'data.bin')), Buffer.from([0, 1, 2, 255]));

  // An append-only record file pulled incrementally.
  const records = join(remote, 'results', 'records.ndjson');
  await s.mkdirp(join(remote, 'results'));
  await s.mkdirp(join(remote, 'results'));
  await s.putFile(join(local, 'src', 'params.json'), records);
  const first = await s.readFile(records);
  t.equal(first.toString(), '{"alpha":0.5}\n');
  await appendFile(records, '{"task":1}\n{"task":2}\n'); // the sshd is on this host: append behind its back
  const more = await s.readFile(records, { offset: first.length });
  t.equal(more.toString(), '{"task":1}\n{"task":2}\n', 'only the new bytes');
  t.equal((await s.readFile(records, { offset: first.length + more.length })).length, 0, 'nothing new: empty');
  t.equal((await s.readFile(records, { offset: 10_000 })).length, 0, 'past the end: empty');
  t.equal((await s.stat(records))?.size, first.length + more.length);

  await t.rejects(s.readFile(join(remote, 'missing')), { name: 'TransportError', message: /read .*missing on root@127\.0\.0\.1:\d+ failed/ });
  await t.rejects(s.listDir(join(remote, 'missing')), { name: 'TransportError' });
  await t.rejects(s.mkdirp(join(remote, 'run.sh', 'x')), { name: 'TransportError', message: /run\.sh exists and is not a directory/ });
  t.equal(s.connections, 1);
});
