// which(): finding a command on PATH without running it.
import { chmodSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import t from 'tap';
import { which } from '../../src/util/which.js';

t.test('an executable file in a PATH directory is found, the first one wins', async (t) => {
  const dir = t.testdir({ a: { tool: '#!/bin/sh\n' }, b: { tool: '#!/bin/sh\n' }, c: { tool: { 'not-a-file': '' } } });
  chmodSync(join(dir, 'a', 'tool'), 0o755);
  chmodSync(join(dir, 'b', 'tool'), 0o755);
  t.equal(which('tool', [join(dir, 'a'), join(dir, 'b')].join(delimiter)), join(dir, 'a', 'tool'));
  t.equal(which('tool', ['', join(dir, 'b')].join(delimiter)), join(dir, 'b', 'tool'), 'empty PATH entries are skipped');
  t.equal(which('tool', join(dir, 'c')), null, 'a directory of that name is not a command');
});

t.test('a file that is not executable, or no PATH at all, finds nothing', async (t) => {
  const dir = t.testdir({});
  writeFileSync(join(dir, 'plain'), 'x');
  chmodSync(join(dir, 'plain'), 0o644);
  // root may execute-test any file with an x bit; 0644 has none
  t.equal(which('plain', dir), null);
  t.equal(which('missing', dir), null);
  t.equal(which('plain', ''), null);
});
