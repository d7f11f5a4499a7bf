// Tests for src/transport/ssh-hop.ts against the real test sshd: one hop, a ProxyJump chain as one Link, drops, close, and the refusals that need no network.
import { writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { readSshConfig, type SshConfigLine } from '../../src/transport/ssh-config.js';
import { readEnv } from '../../src/transport/ssh-env.js';
import { isPermanent } from '../../src/transport/ssh-errors.js';
import { closeLink, openHop, openLink } from '../../src/transport/ssh-hop.js';
import { resolveSshTarget } from '../../src/transport/ssh-target.js';
import { requireSshd, sshKeyPath, sshKnownHostsPath, sshPort } from '../helpers/slurm.js';

/** Reads `config` (with the test key and known_hosts in every block via `Host *`) and returns what openLink needs. */
async function setup(dir: string, config: string[]) {
  const file = join(dir, 'ssh_config');
  const common = [`IdentityFile ${sshKeyPath()}`, 'IdentitiesOnly yes', `UserKnownHostsFile ${sshKnownHostsPath()}`];
  await writeFile(file, [...config, 'Host *', ...common.map((l) => `  ${l}`), ''].join('\n'));
  const env = readEnv({ HOME: dir, USER: 'root' });
  const lines: SshConfigLine[] = await readSshConfig([file], env);
  return { env, lines, target: (spec: string) => resolveSshTarget(lines, spec, env) };
}

const LOGIN = (alias: string, port = sshPort()) => [`Host ${alias}`, '  HostName 127.0.0.1', `  Port ${port}`, '  User root'];

t.test('openHop: a direct connection that runs commands', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const { env, target } = await setup(t.testdir({}), LOGIN('cluster'));
  const ssh = await openHop(target('cluster'), env, 20_000);
  t.teardown(() => ssh.dispose());
  t.same(await ssh.execCommand('echo hop'), { code: 0, signal: null, stdout: 'hop', stderr: '' });
});

t.test('openLink: a ProxyJump chain is one Link; kill() and closeLink end it', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const { env, lines, target } = await setup(t.testdir({}), [...LOGIN('jump'), 'Host behind', '  ProxyJump root@jump', ...LOGIN('behind').slice(1)]);
  const behind = target('behind');
  t.same(behind.proxyJump, ['root@jump']);
  const link = await openLink(behind, lines, {}, env, 20_000);
  t.equal(link.hops.length, 2, 'the jump host, then the target');
  t.equal(link.client, link.hops[1].connection as unknown, 'commands go to the target');
  t.type(link.localPort, 'number');
  t.equal(link.dropped, false);
  const seen = await link.hops[1].execCommand('echo "$SSH_CONNECTION"');
  t.not(seen.stdout.split(' ')[1], String(link.localPort), 'the target sees the jump host, not our local port');

  link.kill();
  t.equal(link.dropped, true, 'marked dropped at once');
  await link.gone;
  t.equal(link.hops[0].connection, null, 'hops disposed');

  const again = await openLink(target('jump'), lines, {}, env, 20_000);
  t.equal(again.hops.length, 1);
  await closeLink(again);
  t.equal(again.dropped, true, 'the close event marked it dropped');
});

t.test('refused before any connection: ProxyCommand, a ProxyJump loop', async (t) => {
  const { env, lines, target } = await setup(t.testdir({}), [
    'Host legacy',
    '  ProxyCommand ssh -W %h:%p bastion',
    'Host a',
    '  ProxyJump b',
    'Host b',
    '  ProxyJump a',
  ]);
  const legacy = await openLink(target('legacy'), lines, {}, env, 1000).catch((e: unknown) => e);
  t.match(legacy, {
    name: 'TransportError',
    message: `ssh: ${join(t.testdirName, 'ssh_config')}:2 sets ProxyCommand for legacy, which arrayflow does not run; use ProxyJump user@jumphost[:port] instead`,
  });
  t.ok(isPermanent(legacy), 'reconnecting cannot fix it');
  const loop = await openLink(target('a'), lines, {}, env, 1000).catch((e: unknown) => e);
  t.match(loop, { name: 'TransportError', message: 'ssh: ProxyJump chain for a is longer than 8 hops (a loop?)' });
  t.ok(isPermanent(loop));
});

t.test('a jump host that cannot reach the target; a server that never answers', { timeout: 60_000 }, async (t) => {
  if (!(await requireSshd(t))) return;
  const silent = net.createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentPort = (silent.address() as net.AddressInfo).port;
  const conns = new Set<net.Socket>();
  silent.on('connection', (c) => conns.add(c));
  t.teardown(() => {
    silent.close();
    for (const c of conns) c.destroy();
  });
  const { env, lines, target } = await setup(t.testdir({}), [...LOGIN('jump'), 'Host nowhere', '  ProxyJump jump', ...LOGIN('nowhere', 1).slice(1), ...LOGIN('mute', silentPort)]);

  await t.rejects(openLink(target('nowhere'), lines, {}, env, 20_000), {
    name: 'TransportError',
    message: new RegExp(`^ssh: jump host root@127\\.0\\.0\\.1:${sshPort()} could not reach 127\\.0\\.0\\.1:1: `),
  });
  const started = Date.now();
  const err = await openHop(target('mute'), env, 500).catch((e: unknown) => e);
  t.match(err, { name: 'TransportError', message: `ssh: timed out after 500 ms connecting to root@127.0.0.1:${silentPort}` });
  t.notOk(isPermanent(err), 'a timeout may pass: reconnecting retries it');
  t.ok(Date.now() - started < 5000);
});
