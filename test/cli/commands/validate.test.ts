// `arrayflow validate` on every malformed config fixture: file:line:col messages, exit code 2, no stack trace.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/util/paths.js';
import { runCli } from '../../helpers/ensemble.js';

t.test('every malformed config gives file:line:col messages and no stack trace', async (t) => {
  const badDir = join(packageRoot, 'test', 'fixtures', 'configs', 'bad');
  const files = readdirSync(badDir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length >= 20, `${files.length} malformed configs`);
  // each CLI start is CPU work (~0.4 s, mostly compiling the schema): four at a time keep 2 cores busy
  // without 59 processes at once starving the test files that run beside this one
  const queue = [...files];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) await check(f);
    }),
  );
  async function check(f: string) {
    const path = join(badDir, f);
    const r = await runCli(['validate', path]);
    t.equal(r.exitCode, 2, `${f}: exit code 2`);
    t.match(r.stderr, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `, 'm'), `${f}: names file:line:col`);
    t.notMatch(r.stderr, /\n\s+at [^\n]*:\d+:\d+\)?\n/, `${f}: no stack trace`);
    t.notMatch(r.stderr, /internal error/, `${f}: not an internal error`);
  }
});
