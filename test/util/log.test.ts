// The controller log's level (--log-level, else $ARRAYFLOW_LOG, else info) and its lines: JSON with a level name.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logLevel, openLog } from '../../src/util/log.js';

t.test('the level: the option, else ARRAYFLOW_LOG (any case), else info; a wrong ARRAYFLOW_LOG is named', async (t) => {
  t.equal(logLevel(undefined, {}), 'info');
  t.equal(logLevel(undefined, { ARRAYFLOW_LOG: 'DEBUG' }), 'debug');
  t.equal(logLevel('warn', { ARRAYFLOW_LOG: 'debug' }), 'warn');
  t.throws(() => logLevel(undefined, { ARRAYFLOW_LOG: 'loud' }), { name: 'UsageError', message: /^ARRAYFLOW_LOG='loud' is not a log level; use one of fatal, error, warn, info, debug, trace, silent$/ });
});

t.test('openLog appends JSON lines at its level and above, each on disk when the call returns', async (t) => {
  const file = join(t.testdir(), 'logs', 'controller.log');
  const { log, close } = await openLog(file, 'info');
  log.debug('hidden');
  log.info({ task: 1 }, 'shown');
  const [line, ...rest] = readFileSync(file, 'utf8').trim().split('\n');
  close();
  t.equal(rest.length, 0, 'debug is below info');
  t.match(JSON.parse(line), { level: 'info', task: 1, msg: 'shown', time: /^\d{4}-\d\d-\d\dT/ });
});
