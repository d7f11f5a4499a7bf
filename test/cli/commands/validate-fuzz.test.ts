// `arrayflow validate` on a small sample of generated configs (issue 14): exit 0 or 2, file:line:col on stderr, no stack trace, no hang.
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../../helpers/ensemble.js';
import { aliasConfig, configText, deepConfig, fuzzParams } from '../../helpers/fuzz.js';

t.test('generated configs through the CLI: exit 0 or 2 with located messages, never a stack trace', async (t) => {
  // the bulk runs in-process (test/config/fuzz.test.ts); each CLI start costs ~0.4 s of CPU, so a few of each kind
  const { seed, numRuns } = fuzzParams(10);
  const texts = [
    ...fc.sample(configText, { seed, numRuns: Math.max(1, numRuns - 2) }),
    ...fc.sample(aliasConfig.filter((s) => s.includes('l0:')), { seed, numRuns: 1 }),
    ...fc.sample(deepConfig.filter((s) => s.length > 5000), { seed, numRuns: 1 }),
  ];
  const dir = t.testdir({ 'sim.py': '' });
  const queue = texts.map((text, i) => ({ text, file: join(dir, `c${i}.yaml`) }));
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        writeFileSync(c.file, c.text);
        const r = await runCli(['validate', c.file], { timeout: 60_000 });
        const what = `${c.file}: ${JSON.stringify(c.text.slice(0, 200))}`;
        t.notOk(r.timedOut, `${what}: no hang`);
        t.ok(r.exitCode === 0 || r.exitCode === 2, `${what}: exit ${r.exitCode} is 0 or 2`);
        if (r.exitCode === 2) t.match(r.stderr, new RegExp(`^${c.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: `), `${what}: starts at file:line:col`);
        t.notMatch(r.stderr, /\n\s+at [^\n]*:\d+:\d+\)?\n|internal error|\(node:\d+\)/, `${what}: no stack trace, internal error or warning`);
      }
    }),
  );
});
