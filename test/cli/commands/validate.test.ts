// `arrayflow validate` on the malformed config fixtures: file:line:col messages, exit code 2, no stack trace.
// Every fixture is read in-process (test/config/validate.test.ts checks each one's line and key); the CLI runs on an
// evenly spread sample, which must print exactly what readConfig reports: a CLI start costs ~0.2 s of CPU.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/util/paths.js';
import { runCli } from '../../helpers/ensemble.js';

const badDir = join(packageRoot, 'test', 'fixtures', 'configs', 'bad');
const files = readdirSync(badDir).filter((f) => f.endsWith('.yaml')).sort();
const located = (path: string) => new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `);

/** What readConfig throws for `f`, as the CLI must print it. */
async function configError(f: string): Promise<string> {
  const err: unknown = await readConfig(join(badDir, f)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConfigError)) throw new Error(`${f}: expected a ConfigError, got ${String(err)}`);
  return err.message;
}

t.test('every malformed config is a ConfigError whose every line names file:line:col', async (t) => {
  t.ok(files.length >= 20, `${files.length} malformed configs`);
  for (const f of files) {
    const lines = (await configError(f)).split('\n');
    t.ok(lines.length >= 1 && lines.every((l) => located(join(badDir, f)).test(l)), `${f}: every line located`, { lines });
  }
});

t.test('the CLI prints that error, exits 2 and shows no stack trace', async (t) => {
  const sample = files.filter((_, i) => i % 8 === 0);
  t.ok(sample.length >= 6, `${sample.length} fixtures through the CLI`);
  await Promise.all(
    sample.map(async (f) => {
      const path = join(badDir, f);
      const r = await runCli(['validate', path]);
      t.equal(r.exitCode, 2, `${f}: exit code 2`);
      t.ok(r.stderr.includes(await configError(f)), `${f}: prints readConfig's error`, { stderr: r.stderr });
      t.match(r.stderr, located(path), `${f}: names file:line:col`);
      t.notMatch(r.stderr, /\n\s+at [^\n]*:\d+:\d+\)?\n/, `${f}: no stack trace`);
      t.notMatch(r.stderr, /internal error/, `${f}: not an internal error`);
    }),
  );
});
