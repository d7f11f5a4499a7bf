// Tests for src/render/shell.ts: every value becomes exactly one POSIX shell word.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { shellQuote } from '../../src/render/shell.js';

t.test('safe words stay bare, anything else is single-quoted', async (t) => {
  t.equal(shellQuote('/opt/node-20/bin/node'), '/opt/node-20/bin/node');
  t.equal(shellQuote(42), '42');
  t.equal(shellQuote(''), "''");
  t.equal(shellQuote('two words'), "'two words'");
  t.equal(shellQuote("o'brien"), "'o'\\''brien'");
  t.throws(() => shellQuote('a\0b'), /NUL/);
});

t.test('a real shell reads each quoted value back as one word', async (t) => {
  const values = ["o'brien/my runs", '$(rm -rf ~)', '`id`', 'a\nb', '*', '-n', '%A_%a', '"; echo x'];
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${values.map(shellQuote).join(' ')}`], { encoding: 'utf8' });
  t.same(out.split('\0').slice(0, -1), values);
});
