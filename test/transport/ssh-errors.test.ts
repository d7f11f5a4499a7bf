// Tests for src/transport/ssh-errors.ts: permanent vs retryable connect errors, uncertain errors, how destinations and causes are shown.
import t from 'tap';
import { TransportError } from '../../src/errors.js';
import { dest, Dropped, errMessage, isPermanent, permanentError, uncertainError } from '../../src/transport/ssh-errors.js';
import { isUncertain } from '../../src/transport/transport.js';

t.test('permanentError: a TransportError that reconnecting gives up on at once', async (t) => {
  const cause = new Error('all keys refused');
  const e = permanentError('ssh: authentication to root@h:22 failed', cause);
  t.type(e, TransportError);
  t.match(e, { code: 'E_TRANSPORT', message: 'ssh: authentication to root@h:22 failed', cause });
  t.ok(isPermanent(e));
  t.notOk(isUncertain(e), 'it failed before any command was sent');
  t.notOk(isPermanent(new TransportError('ssh: cannot connect to root@h:22: ECONNREFUSED')), 'an unreachable host may come back');
  t.notOk(isPermanent('a string'));
  t.notOk('cause' in permanentError('no cause'), 'no undefined cause property');
});

t.test('uncertainError: the command may have run', async (t) => {
  const reason = new Error('connection closed');
  const e = uncertainError('ssh: dropped while running sbatch', reason);
  t.match(e, { name: 'TransportError', uncertain: true, cause: reason });
  t.ok(isUncertain(e));
  t.notOk(isPermanent(e));
  t.equal(uncertainError('timed out').uncertain, true);
  t.notOk('cause' in uncertainError('timed out'));
});

t.test('Dropped carries whether the remote side may have started', async (t) => {
  const d = new Dropped(true, new Error('EPIPE'));
  t.equal(d.started, true);
  t.match(d.reason, { message: 'EPIPE' });
  t.notOk(d instanceof TransportError, 'an internal signal, never shown to callers');
});

t.test('dest and errMessage', async (t) => {
  t.equal(dest({ user: 'ada', host: 'login.example.org', port: 2200 }), 'ada@login.example.org:2200');
  t.equal(errMessage(new Error('boom')), 'boom');
  t.equal(errMessage('plain'), 'plain');
  t.equal(errMessage(undefined), 'undefined');
});
