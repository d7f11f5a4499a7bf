// Tests for src/render/shell.ts: every value becomes exactly one POSIX shell word, except a ShellLine (executor.setup).
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { ShellLine, scriptValue, shellQuote } from '../../src/render/shell.js';

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

t.test('scriptValue: a ShellLine passes as it is (one line, no NUL); every other value is shell-quoted', async (t) => {
  t.equal(scriptValue(new ShellLine(`source "$HOME/venv/bin/activate" && echo 'hi' | tee x`)), `source "$HOME/venv/bin/activate" && echo 'hi' | tee x`);
  t.equal(scriptValue(`source "$HOME/x"`), `'source "$HOME/x"'`, 'a plain string is a value, quoted');
  t.equal(scriptValue(3), '3');
  for (const bad of ['a\nb', 'a\rb', 'a\0b']) t.throws(() => new ShellLine(bad), /one line/, JSON.stringify(bad));
});
