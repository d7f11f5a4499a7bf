// Tests for src/transport/transport.ts: isUncertain reads TransportError's declared `uncertain` field.
import t from 'tap';
import { SchedulerError, TransportError } from '../../src/errors.js';
import { isUncertain } from '../../src/transport/transport.js';

t.test('TransportError.uncertain: false unless the constructor says so', async (t) => {
  const plain = new TransportError('ssh: cannot connect');
  t.equal(plain.uncertain, false);
  const lost = new TransportError('ssh: the connection dropped while running sbatch', { cause: new Error('EPIPE'), uncertain: true });
  t.equal(lost.uncertain, true);
  t.match(lost, { name: 'TransportError', code: 'E_TRANSPORT', cause: { message: 'EPIPE' } });
  t.ok(Object.keys(lost).includes('uncertain'), 'an own, enumerable field (it shows when the error is logged)');
});

t.test('isUncertain: only a TransportError whose uncertain is true', async (t) => {
  t.ok(isUncertain(new TransportError('x', { uncertain: true })));
  t.notOk(isUncertain(new TransportError('x')));
  t.notOk(isUncertain(new TransportError('x', { uncertain: false })));
  t.notOk(isUncertain(Object.assign(new SchedulerError('x'), { uncertain: true })), 'another error class with the same property');
  t.notOk(isUncertain({ uncertain: true }), 'a plain object');
  t.notOk(isUncertain(undefined));
});
