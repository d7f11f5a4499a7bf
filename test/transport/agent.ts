// Test helper (not a test file): a real ssh-agent on a short unix socket, stopped at the end of the test.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { execa, type ResultPromise } from 'execa';

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
