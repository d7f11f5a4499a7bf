// Shared fixtures of the transport tests (not a test file): a cluster user's ssh_config and a real ssh-agent on a short unix socket.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { execa, type ResultPromise } from 'execa';
import { sshPort } from './slurm.js';

/** Starts `ssh-agent -D` holding `keys` (private key files) and resolves with its socket path. */
export async function startAgent(t: Test, keys: string[]): Promise<string> {
  // A unix socket path must stay under ~100 bytes, so not in the long testdir.
  const sockDir = await mkdtemp(join(tmpdir(), 'af-agent-'));
  const sock = join(sockDir, 's');
  const agent: ResultPromise = execa('ssh-agent', ['-D', '-a', sock], { reject: false, stdio: 'ignore' });
  t.teardown(async () => {
    if (agent.pid) process.kill(agent.pid, 'SIGTERM');
    await agent;
    await rm(sockDir, { recursive: true, force: true });
  });
  for (let i = 0; i < 100 && !existsSync(sock); i++) await sleep(50);
  t.ok(existsSync(sock), 'ssh-agent is listening');
  for (const key of keys) {
    const added = await execa('ssh-add', [key], { env: { SSH_AUTH_SOCK: sock }, reject: false });
    t.equal(added.exitCode, 0, added.stderr);
  }
  return sock;
}

/** The local side the config tests resolve with. */
export const ENV = { home: '/home/ada', localUser: 'ada', localHost: 'laptop' };

/** A cluster user's ~/.ssh/config: login behind a gateway, nodes behind login, a ProxyCommand host, catch-alls. */
export const CONFIG = `# a cluster user's ~/.ssh/config
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

/** A config file with `Host <alias>` for the test sshd; `extra` lines go into that block. */
export async function writeSshConfig(dir: string, extra: string[] = [], alias = 'cluster'): Promise<string> {
  const file = join(dir, 'ssh_config');
  const lines = [
    `Host ${alias}`,
    '  HostName 127.0.0.1',
    `  Port ${sshPort()}`,
    '  User root',
    ...extra.map((l) => `  ${l}`),
    '',
  ];
  await writeFile(file, lines.join('\n'));
  return file;
}
