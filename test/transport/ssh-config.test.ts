// Tests for src/transport/ssh-config.ts: ssh_config parsing, Host/Match matching, first-match-wins, tokens, Include, targets.
import { join } from 'node:path';
import t from 'tap';
import {
  hostPatternsMatch,
  lookupSshHost,
  parseSshConfig,
  parseSshTarget,
  readSshConfig,
  resolveSshTarget,
  tokenizeSshConfigLine,
} from '../../src/transport/ssh-config.js';

const ENV = { home: '/home/ada', localUser: 'ada', localHost: 'laptop' };

const CONFIG = `# a cluster user's ~/.ssh/config
IdentityFile ~/.ssh/id_global

Host login login.cluster.example.org
  HostName login.cluster.example.org
  User ada_l
  Port 2200
  IdentityFile ~/.ssh/id_cluster
  IdentityFile %d/keys/%r@%h
  IdentitiesOnly yes
  UserKnownHostsFile ~/.ssh/known_hosts.d/cluster /etc/ssh/extra_hosts
  StrictHostKeyChecking=accept-new
  ProxyJump gateway

Host gateway
  HostName gw.example.org
  User ada_gw
  ServerAliveInterval 5
  ServerAliveCountMax 2
  ConnectTimeout 7

Host node?? !node13
  ProxyJump login

Host legacy
  ProxyCommand ssh -W %h:%p bastion

Host *.example.org
  User catchall
  Port 2022
  HostKeyAlias shared-alias

Host *
  User fallback
  IdentityAgent none
  StrictHostKeyChecking no
`;

t.test('tokenizeSshConfigLine: whitespace, =, quotes', async (t) => {
  t.same(tokenizeSshConfigLine('  HostName   login.example.org  '), ['HostName', 'login.example.org']);
  t.same(tokenizeSshConfigLine('Port=2222'), ['Port', '2222']);
  t.same(tokenizeSshConfigLine('Port = 2222'), ['Port', '2222']);
  t.same(tokenizeSshConfigLine('IdentityFile "~/My Keys/id_ed25519"'), ['IdentityFile', '~/My Keys/id_ed25519']);
  t.same(tokenizeSshConfigLine('Host a b  c'), ['Host', 'a', 'b', 'c']);
  t.throws(() => tokenizeSshConfigLine('IdentityFile "open'), /unterminated quote/);
});

t.test('parseSshConfig: lines carry their Host/Match guard and position', async (t) => {
  const lines = parseSshConfig('User top\nHost a b\n  Port 1\nMatch host x\n  Port 2\n', '/c');
  t.same(
    lines.map((l) => [l.keyword, l.args, l.line, l.when]),
    [
      ['user', ['top'], 1, []],
      ['port', ['1'], 3, [{ kind: 'host', patterns: ['a', 'b'] }]],
      ['port', ['2'], 5, [{ kind: 'match', args: ['host', 'x'] }]],
    ],
  );
  t.throws(() => parseSshConfig('Host a\n  HostName "x\n', '/c'), { name: 'TransportError', message: /\/c:2/ });
});

t.test('hostPatternsMatch: *, ?, negation, comma lists', async (t) => {
  t.ok(hostPatternsMatch(['*'], 'anything'));
  t.ok(hostPatternsMatch(['node??'], 'node01'));
  t.notOk(hostPatternsMatch(['node??'], 'node1'));
  t.notOk(hostPatternsMatch(['node??', '!node13'], 'node13'));
  t.ok(hostPatternsMatch(['node??', '!node13'], 'node12'));
  t.notOk(hostPatternsMatch(['!node13'], 'other'), 'a negation alone never matches');
  t.ok(hostPatternsMatch(['a,b'], 'b'));
  t.ok(hostPatternsMatch(['*.Example.ORG'], 'login.example.org'), 'case-insensitive');
});

t.test('lookupSshHost: first value wins, IdentityFile accumulates, global lines apply', async (t) => {
  const lines = parseSshConfig(CONFIG, '/home/ada/.ssh/config');
  const o = lookupSshHost(lines, 'login', ENV);
  t.equal(o.hostName, 'login.cluster.example.org');
  t.equal(o.user, 'ada_l', 'the login block comes before *.example.org and *');
  t.equal(o.port, 2200);
  t.same(o.identityFiles, ['~/.ssh/id_global', '~/.ssh/id_cluster', '%d/keys/%r@%h']);
  t.equal(o.identitiesOnly, true);
  t.same(o.userKnownHostsFiles, ['~/.ssh/known_hosts.d/cluster', '/etc/ssh/extra_hosts']);
  t.equal(o.strictHostKeyChecking, 'accept-new');
  t.same(o.proxy, { kind: 'jump', hops: ['gateway'] });
  t.equal(o.identityAgent, 'none');

  const gw = lookupSshHost(lines, 'gw.example.org', ENV);
  t.equal(gw.user, 'catchall', 'Host patterns match the name as typed, not HostName');
  t.equal(gw.port, 2022);

  const n = lookupSshHost(lines, 'node13', ENV);
  t.equal(n.proxy, undefined, '!node13 vetoes the node?? block');
  t.equal(n.user, 'fallback');
  t.same(lookupSshHost(lines, 'node07', ENV).proxy, { kind: 'jump', hops: ['login'] });
  t.match(lookupSshHost(lines, 'legacy', ENV).proxy, { kind: 'command', command: 'ssh -W %h:%p bastion', at: '/home/ada/.ssh/config:26' });
  t.throws(() => lookupSshHost(parseSshConfig('Port 99999\n', '/c'), 'x', ENV), { name: 'TransportError', message: /\/c:1: bad Port "99999"/ });
});

t.test('lookupSshHost: Match all / host / originalhost / user; unsupported criteria warn', async (t) => {
  const lines = parseSshConfig(
    `Host short
  HostName long.example.org
Match host long.example.org
  User via_match_host
Match originalhost short user via_match_host
  Port 2201
Match exec "true"
  IdentityFile never
Match all
  IdentityFile ~/.ssh/from_all
`,
    '/c',
  );
  const o = lookupSshHost(lines, 'short', ENV);
  t.equal(o.user, 'via_match_host');
  t.equal(o.port, 2201);
  t.same(o.identityFiles, ['~/.ssh/from_all']);
  t.match(o.warnings, [/\/c:8: Match exec true: "exec" is not supported; the block is ignored/]);
  t.equal(lookupSshHost(lines, 'other', ENV).user, undefined);
});

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

t.test('readSshConfig: Include with globs, relative to ~/.ssh, guarded by the enclosing Host', async (t) => {
  const home = t.testdir({
    '.ssh': {
      config: 'Include conf.d/*.conf\nHost inner\n  Include inner.conf\nHost *\n  User last\n',
      'conf.d': {
        '10-a.conf': 'Host a\n  HostName a.example.org\n',
        '20-b.conf': 'Host b\n  HostName b.example.org\n  User from_b\n',
        'ignored.txt': 'Host a\n  HostName wrong\n',
      },
      'inner.conf': 'Port 2299\nHost *\n  User inner_star\n',
    },
  });
  const env = { ...ENV, home };
  const lines = await readSshConfig([join(home, '.ssh', 'config'), join(home, 'missing')], env);
  t.equal(resolveSshTarget(lines, 'a', env).host, 'a.example.org');
  t.equal(resolveSshTarget(lines, 'b', env).user, 'from_b');
  t.equal(resolveSshTarget(lines, 'inner', env).port, 2299, 'lines before a Host in an included file take the Include guard');
  t.equal(resolveSshTarget(lines, 'a', env).port, 22, '... and do not leak to other hosts');
  t.equal(resolveSshTarget(lines, 'inner', env).user, 'inner_star');
  t.equal(resolveSshTarget(lines, 'a', env).user, 'last', "an included file's own Host * stays inside the Include's guard, as in OpenSSH");
});
