// Tests for src/transport/ssh-auth.ts: which key files and agent keys are offered, and how the failure message describes them (real ssh-keygen keys, a real ssh-agent).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import { planAuth } from '../../src/transport/ssh-auth.js';
import { parseSshConfig } from '../../src/transport/ssh-config.js';
import { resolveSshTarget, type ResolveOverrides } from '../../src/transport/ssh-target.js';
import type { Agent, ParsedKey } from '../../src/transport/ssh2-types.js';
import { startAgent } from '../helpers/ssh-fixtures.js';

const keygen = (file: string, passphrase = '') => execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', file]);
const publicBlob = async (file: string) => (await execa('ssh-keygen', ['-y', '-f', file])).stdout.split(' ')[1];

/** The target `ada@h` for `config` with HOME = `home`. */
function targetFor(home: string, config: string, over: ResolveOverrides = {}) {
  return resolveSshTarget(parseSshConfig(config, '/c'), 'ada@h', { home, localUser: 'ada' }, over);
}

function agentKeys(method: object): Promise<string[]> {
  const agent = (method as { agent: Agent }).agent;
  return new Promise((resolve, reject) =>
    agent.getIdentities((err, keys?: ParsedKey[]) => (err ? reject(err) : resolve((keys ?? []).map((k) => k.getPublicSSH().toString('base64'))))),
  );
}

t.test('configured key files: usable ones are offered, the others say why not', async (t) => {
  const home = t.testdir({ garbage: 'not a key\n' });
  await keygen(join(home, 'good'));
  await keygen(join(home, 'locked'), 'secret');
  const config = ['good', 'nope', 'locked', 'garbage'].map((f) => `IdentityFile ${join(home, f)}`).join('\n');
  const plan = await planAuth(targetFor(home, config), { home });
  t.equal(plan.keys.length, 4);
  t.same(plan.keys.slice(0, 3), ['~/good', '~/nope (missing)', '~/locked (passphrase-protected: load it with ssh-add)']);
  t.match(plan.keys[3], /^~\/garbage \(unreadable: .+\)$/);
  t.match(plan.methods, [{ type: 'publickey', username: 'ada', key: Buffer }]);
  t.equal(plan.methods.length, 1, 'only the readable key');
  t.equal(plan.agent, 'none (SSH_AUTH_SOCK is not set)');
});

t.test('default key files (no IdentityFile): missing ones are skipped quietly', async (t) => {
  const home = t.testdir({ '.ssh': {} });
  const none = await planAuth(targetFor(home, ''), { home });
  t.same(none, { methods: [], keys: ['none found in ~/.ssh'], agent: 'none (SSH_AUTH_SOCK is not set)' });
  await keygen(join(home, '.ssh', 'id_ed25519'));
  const one = await planAuth(targetFor(home, ''), { home });
  t.same(one.keys, ['~/.ssh/id_ed25519']);
  t.equal(one.methods.length, 1);
  t.same((await planAuth(targetFor(home, `IdentityFile ${join(home, 'gone')}\nIdentityAgent none`), { home })).keys, ['~/gone (missing)']);
});

t.test('ssh-agent: unreachable, all keys, IdentitiesOnly', { timeout: 30_000 }, async (t) => {
  const home = t.testdir({});
  const unreachable = await planAuth(targetFor(home, '', { authSock: join(home, 'no.sock') }), { home });
  t.match(unreachable.agent, new RegExp(`^unreachable at ${join(home, 'no.sock')} \\(.+\\)$`));
  t.same(unreachable.methods, []);

  await keygen(join(home, 'k1'));
  await keygen(join(home, 'k2'));
  await keygen(join(home, 'k3'));
  const sock = await startAgent(t, [join(home, 'k1'), join(home, 'k2'), join(home, 'k3')]);
  const [b1, b2, b3] = await Promise.all(['k1', 'k2', 'k3'].map((k) => publicBlob(join(home, k))));

  const all = await planAuth(targetFor(home, '', { authSock: sock }), { home });
  t.equal(all.agent, `3 keys at ${sock}`);
  t.match(all.methods, [{ type: 'agent', username: 'ada' }]);
  t.same(await agentKeys(all.methods[0]), [b1, b2, b3], "the agent's keys in its order");

  // k3's private half now needs a passphrase; its .pub still names it, so the agent may offer it.
  await execa('ssh-keygen', ['-q', '-p', '-P', '', '-N', 'secret', '-f', join(home, 'k3')]);
  const only = await planAuth(targetFor(home, `IdentityFile ${join(home, 'k1')}\nIdentityFile ${join(home, 'k3')}\nIdentitiesOnly yes`, { authSock: sock }), { home });
  t.same(only.keys, ['~/k1', '~/k3 (passphrase-protected: load it with ssh-add)']);
  t.equal(only.agent, `2 keys at ${sock} (IdentitiesOnly: 1 not in IdentityFile skipped)`);
  t.match(only.methods, [{ type: 'publickey' }, { type: 'agent' }], 'key files before the agent');
  t.same(await agentKeys(only.methods[1]), [b1, b3], 'the agent offers only the IdentityFile keys');

  await writeFile(join(home, 'k4'), 'not a key\n');
  const none = await planAuth(targetFor(home, `IdentityFile ${join(home, 'k4')}\nIdentitiesOnly yes`, { authSock: sock }), { home });
  t.equal(none.agent, `0 keys at ${sock} (IdentitiesOnly: 3 not in IdentityFile skipped)`);
  t.same(none.methods, [], 'no agent method when it has nothing to offer');
});
