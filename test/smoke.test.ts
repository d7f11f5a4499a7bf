import t from 'tap';
import { ConfigError } from '../src/errors.js';
t.test('error', async (t) => {
  const e = new ConfigError([{ file: 'a.yaml', line: 1, col: 2, path: 'x', message: 'bad' }]);
  t.equal(e.name, 'ConfigError');
  t.equal(e.message, 'a.yaml:1:2: x: bad');
});
