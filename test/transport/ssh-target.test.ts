// Tests for src/transport/ssh-target.ts: parsing a target, and resolving it against config lines (expansion, defaults, precedence).
import t from 'tap';
import { parseSshConfig } from '../../src/transport/ssh-config.js';
import { expandSshPath, parseSshTarget, resolveSshTarget } from '../../src/transport/ssh-target.js';
import { CONFIG, ENV } from '../helpers/ssh-fixtures.js';

t.test('parseSshTarget: user@host:port, IPv6, ssh:// and aliases', async (t) => {
  t.same(parseSshTarget('root@127.0.0.1:2222'), { user: 'root', host: '127.0.0.1', port: 2222 });
  t.same(parseSshTarget('login'), { host: 'login' });
  t.same(parseSshTarget('ada@login'), { user: 'ada', host: 'login' });
  t.same(parseSshTarget('ssh://ada@login.example.org:2200'), { user: 'ada', host: 'login.example.org', port: 2200 });
  t.same(parseSshTarget('ada@[::1]:2222'), { user: 'ada', host: '::1', port: 2222 });
  t.same(parseSshTarget('first.last@example.org@login'), { user: 'first.last@example.org', host: 'login' });
  t.throws(() => parseSshTarget('@login'), { name: 'TransportError', message: /cannot parse target "@login"/ });
  t.throws(() => parseSshTarget('login:0'), /bad port/);
});

t.test('resolveSshTarget: expansion, defaults, precedence of the target over the config', async (t) => {
  const lines = parseSshConfig(CONFIG, '/home/ada/.ssh/config');
  const r = resolveSshTarget(lines, 'login', ENV, { authSock: '/tmp/agent.sock' });
  t.match(r, {
    spec: 'login',
    alias: 'login',
    host: 'login.cluster.example.org',
    port: 2200,
    user: 'ada_l',
    identityFiles: ['/home/ada/.ssh/id_global', '/home/ada/.ssh/id_cluster', '/home/ada/keys/ada_l@login.cluster.example.org'],
    defaultIdentityFiles: false,
    identitiesOnly: true,
    userKnownHostsFiles: ['/home/ada/.ssh/known_hosts.d/cluster', '/etc/ssh/extra_hosts'],
    globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    strictHostKeyChecking: 'accept-new',
    knownHostsName: '[login.cluster.example.org]:2200',
    proxyJump: ['gateway'],
  });
  t.equal(r.agentSocket, undefined, 'IdentityAgent none (from Host *) disables the agent');

  const explicit = resolveSshTarget(lines, 'root@login:2222', ENV, { identityFile: '~/cli_key', knownHostsFile: '/tmp/kh' });
  t.equal(explicit.user, 'root', 'user@ in the target beats User');
  t.equal(explicit.port, 2222, ':port in the target beats Port');
  t.equal(explicit.identityFiles[0], '/home/ada/cli_key', 'identityFile comes first, like ssh -i');
  t.same(explicit.userKnownHostsFiles, ['/tmp/kh']);

  const gw = resolveSshTarget(lines, 'gateway', ENV);
  t.match(gw, { host: 'gw.example.org', user: 'ada_gw', port: 22, knownHostsName: 'gw.example.org' });
  t.equal(gw.keepaliveIntervalMs, 5000);
  t.equal(gw.keepaliveCountMax, 2);
  t.equal(gw.connectTimeoutMs, 7000);
  t.equal(gw.strictHostKeyChecking, 'no');
  t.same(gw.proxyJump, []);

  const cat = resolveSshTarget(lines, 'web.example.org', ENV);
  t.equal(cat.knownHostsName, 'shared-alias', 'HostKeyAlias names the known_hosts entry');

  const plain = resolveSshTarget([], '10.0.0.1', ENV, { authSock: '/tmp/agent.sock' });
  t.match(plain, { host: '10.0.0.1', port: 22, user: 'ada', strictHostKeyChecking: 'yes', defaultIdentityFiles: true, agentSocket: '/tmp/agent.sock' });
  t.same(
    plain.identityFiles.map((f) => f.replace('/home/ada/.ssh/', '')),
    ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_dsa'],
  );
  t.same(plain.userKnownHostsFiles, ['/home/ada/.ssh/known_hosts', '/home/ada/.ssh/known_hosts2']);
  t.equal(plain.keepaliveIntervalMs, 15000);

  t.match(resolveSshTarget(lines, 'legacy', ENV).proxyCommand, { command: 'ssh -W %h:%p bastion' });
  t.same(resolveSshTarget(lines, 'node01', ENV, { proxyJump: ['a', 'b'] }).proxyJump, ['a', 'b'], 'explicit hops replace the config');
  t.equal(resolveSshTarget(parseSshConfig('StrictHostKeyChecking ask\n', '/c'), 'x', ENV).strictHostKeyChecking, 'yes', 'ask means yes: nobody to ask');
});

t.test('expandSshPath: ~ and the %-tokens of ssh_config(5)', async (t) => {
  const tok = { host: 'login.example.org', port: 2200, user: 'ada_l', alias: 'login' };
  t.equal(expandSshPath('%d/%u@%l:%r@%h:%p (%n) 100%% %x', tok, ENV), '/home/ada/ada@laptop:ada_l@login.example.org:2200 (login) 100% %x');
  t.equal(expandSshPath('~', tok, ENV), '/home/ada');
  t.equal(expandSshPath('~/.ssh/%n', tok, ENV), '/home/ada/.ssh/login');
  t.equal(expandSshPath('/x/~/y', tok, ENV), '/x/~/y', '~ only at the start');
  t.equal(expandSshPath('%L', tok, { home: '/h', localUser: 'u' }), 'localhost', 'no local host name known');
});
