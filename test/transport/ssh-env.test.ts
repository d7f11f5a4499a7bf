// Tests for src/transport/ssh-env.ts: the local user, HOME and agent socket an SSH login reads, and ~ in messages.
import { homedir, hostname, userInfo } from 'node:os';
import t from 'tap';
import { readEnv, tilde } from '../../src/transport/ssh-env.js';

t.test('readEnv: USER, then LOGNAME, then the passwd entry', async (t) => {
  t.same(readEnv({ HOME: '/home/ada', USER: 'ada', LOGNAME: 'other', SSH_AUTH_SOCK: '/tmp/a.sock' }), {
    home: '/home/ada',
    localUser: 'ada',
    localHost: hostname(),
    authSock: '/tmp/a.sock',
  });
  t.equal(readEnv({ LOGNAME: 'bob' }).localUser, 'bob');
  t.equal(readEnv({}).localUser, userInfo().username);
  t.equal(readEnv({}).home, homedir(), 'HOME unset: the passwd home');
  t.notOk('authSock' in readEnv({ SSH_AUTH_SOCK: '' }), 'an empty SSH_AUTH_SOCK means no agent');
});

t.test('tilde: paths under HOME as ~/…', async (t) => {
  t.equal(tilde('/home/ada/.ssh/id_ed25519', '/home/ada'), '~/.ssh/id_ed25519');
  t.equal(tilde('/home/adam/key', '/home/ada'), '/home/adam/key', 'a sibling with the same prefix is not under HOME');
  t.equal(tilde('/home/ada', '/home/ada'), '/home/ada');
  t.equal(tilde('/etc/ssh/ssh_known_hosts', '/home/ada'), '/etc/ssh/ssh_known_hosts');
});
