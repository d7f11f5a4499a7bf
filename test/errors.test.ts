// The named error classes: a stable name and code per class, the cause passed through, ConfigError's located message.
import t from 'tap';
import {
  ArrayflowError,
  ConfigError,
  DataError,
  EnsembleError,
  SchedulerError,
  TransportError,
  StorageError,
  UpstreamError,
  UsageError,
  formatIssue,
  type ConfigIssue,
} from '../src/errors.js';

t.test('each class has its own name and code, is an ArrayflowError and keeps its message', async (t) => {
  const cases: Array<[ArrayflowError, string, string]> = [
    [new UsageError('u'), 'UsageError', 'E_USAGE'],
    [new EnsembleError('u'), 'EnsembleError', 'E_ENSEMBLE'],
    [new SchedulerError('u'), 'SchedulerError', 'E_SCHEDULER'],
    [new TransportError('u'), 'TransportError', 'E_TRANSPORT'],
    [new DataError('u'), 'DataError', 'E_DATA'],
    [new UpstreamError('u'), 'UpstreamError', 'E_UPSTREAM'],
  ];
  for (const [e, name, code] of cases) {
    t.ok(e instanceof ArrayflowError, `${name} is an ArrayflowError`);
    t.ok(e instanceof Error, `${name} is an Error`);
    t.equal(e.name, name);
    t.equal(e.code, code);
    t.equal(e.message, 'u');
    t.match(String(e), new RegExp(`^${name}: u`), 'toString shows the class name');
    t.notOk('cause' in e, `${name} without a cause has no cause property`);
  }
  t.equal(new Set(cases.map(([e]) => e.code)).size, cases.length, 'the codes differ');
});

t.test('the cause is passed through, whatever it is', async (t) => {
  const root = new Error('ENOENT');
  t.equal(new EnsembleError('no plan', { cause: root }).cause, root);
  t.equal(new TransportError('ssh', { cause: 'text' }).cause, 'text');
  t.equal(new DataError('d', { cause: 0 }).cause, 0, 'a falsy cause is kept');
  t.equal(new ConfigError([], { cause: root }).cause, root);
});

t.test('a subclass defined elsewhere takes its own name and the code it declares', async (t) => {
  class LocalThing extends ArrayflowError {
    readonly code = 'E_DATA';
  }
  const e = new LocalThing('x', { cause: 1 });
  t.equal(e.name, 'LocalThing');
  t.equal(e.code, 'E_DATA');
  t.equal(e.cause, 1);
});

t.test('SchedulerError is not transient unless said so', async (t) => {
  t.equal(new SchedulerError('sbatch said no').transient, false);
  t.equal(new SchedulerError('socket timed out', { transient: true }).transient, true);
  const withCause = new SchedulerError('x', { transient: true, cause: 'y' });
  t.equal(withCause.cause, 'y');
  t.equal(withCause.code, 'E_SCHEDULER');
});

t.test('TransportError is not uncertain unless said so', async (t) => {
  t.equal(new TransportError('ssh: connection refused').uncertain, false);
  const dropped = new TransportError('connection dropped after sbatch was sent', { uncertain: true, cause: 'ECONNRESET' });
  t.equal(dropped.uncertain, true);
  t.equal(dropped.cause, 'ECONNRESET');
  t.equal(dropped.code, 'E_TRANSPORT');
});

t.test('formatIssue: file:line:col, the key path when there is one, then the message', async (t) => {
  const at: ConfigIssue = { file: 'sweep.yaml', line: 14, col: 3, path: 'executor.resources.account', message: 'bad' };
  t.equal(formatIssue(at), 'sweep.yaml:14:3: executor.resources.account: bad');
  t.equal(formatIssue({ ...at, path: '' }), 'sweep.yaml:14:3: bad', 'the document root has no path part');
});

t.test('ConfigError: issues kept, one formatted line each', async (t) => {
  const issues: ConfigIssue[] = [
    { file: 'c.yaml', line: 2, col: 10, path: 'command', message: 'must be a list' },
    { file: 'c.yaml', line: 7, col: 1, path: '', message: 'the config is empty' },
  ];
  const e = new ConfigError(issues);
  t.equal(e.name, 'ConfigError');
  t.equal(e.code, 'E_CONFIG');
  t.equal(e.issues, issues);
  t.equal(e.message, 'c.yaml:2:10: command: must be a list\nc.yaml:7:1: the config is empty');
  t.equal(new ConfigError([]).message, '', 'no issues, no lines');
});

t.test('StorageError: the file and the errno in words; from() keeps other errors as they are', async (t) => {
  const e = new StorageError('/e/journal.ndjson', 'EDQUOT');
  t.match(e, { name: 'StorageError', code: 'E_STORAGE', errno: 'EDQUOT', path: '/e/journal.ndjson', message: 'cannot write /e/journal.ndjson: disk quota exceeded (EDQUOT)' });
  const raw = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const mapped = StorageError.from(raw, '/e/x');
  t.match(mapped, { name: 'StorageError', errno: 'ENOSPC', message: 'cannot write /e/x: no space left on device (ENOSPC)' });
  t.equal((mapped as StorageError).cause, raw);
  t.equal(StorageError.from(mapped, '/other'), mapped, 'a StorageError keeps the file it named');
  const other = Object.assign(new Error('nope'), { code: 'EACCES' });
  t.equal(StorageError.from(other, '/e/x'), other);
});
