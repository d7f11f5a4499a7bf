// Tests for src/transport/local.ts: argv without a shell, exit codes as answers, calls counted per program (through env).
import t from 'tap';
import { LocalTransport } from '../../src/transport/local.js';

t.test('a variable set by `env NAME=value` reaches the program; the call counts under the program, not env', async (t) => {
  const local = new LocalTransport();
  const r = await local.run(['env', 'SLURM_TIME_FORMAT=%s', 'sh', '-c', 'printf %s "$SLURM_TIME_FORMAT"; exit 3']);
  t.same(r, { stdout: '%s', stderr: '', exitCode: 3 });
  await local.run(['sh', '-c', 'true']);
  t.same(Object.fromEntries(local.calls), { sh: 2 });
});

t.test('a program that is not there: env answers 127, a bare argv cannot start', async (t) => {
  const local = new LocalTransport();
  const viaEnv = await local.run(['env', 'A=1', 'arrayflow-no-such-program']);
  t.equal(viaEnv.exitCode, 127);
  t.match(viaEnv.stderr, /arrayflow-no-such-program/);
  await t.rejects(local.run(['arrayflow-no-such-program']), { name: 'TransportError', message: /^could not run arrayflow-no-such-program: / });
});
