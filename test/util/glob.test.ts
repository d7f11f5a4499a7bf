// globToRegExp: the glob dialect of keep lists and `collect --pattern`.
import t, { type Test } from 'tap';
import { globToRegExp } from '../../src/util/glob.js';

/** Asserts which of `paths` the glob matches, by name, so a failure shows the path. */
function matches(t: Test, glob: string, yes: string[], no: string[]): void {
  const re = globToRegExp(glob);
  for (const p of yes) t.ok(re.test(p), `${glob} matches ${p}`);
  for (const p of no) t.notOk(re.test(p), `${glob} does not match ${p}`);
}

t.test('a pattern without / matches the file name at any depth', async (t) => {
  matches(t, 'result.json', ['result.json', 'a/result.json', 'a/b/result.json'], ['xresult.json', 'result.jsonx', 'result.json/x', 'resultxjson']);
  matches(t, '*.csv', ['a.csv', 'run_1/a.csv', 'a/b/c.csv'], ['a.csv.bak', 'a_csv']);
});

t.test('a pattern with / is anchored at the root; * and ? stay within one segment', async (t) => {
  matches(t, 'run_*/result.*', ['run_1/result.json', 'run_/result.csv'], ['x/run_1/result.json', 'run_1/x/result.json', 'run_1/result']);
  matches(t, 'out/f?.txt', ['out/f1.txt'], ['out/f12.txt', 'out/f/.txt', 'out/f.txt']);
  matches(t, 'mode=*/seed=*/out/result.json', ['mode=fast/seed=0/out/result.json'], ['mode=fast/extra/out/result.json']);
});

t.test('** spans zero or more directories', async (t) => {
  matches(t, '**/out/result.json', ['out/result.json', 'a/out/result.json', 'a/b/out/result.json'], ['aout/result.json', 'out/x/result.json']);
  matches(t, 'out/**', ['out/a', 'out/a/b/c'], ['outx/a', 'x/out/a']);
  matches(t, 'a/**/z.txt', ['a/z.txt', 'a/b/z.txt', 'a/b/c/z.txt'], ['b/a/z.txt', 'a/z.txt.x']);
});

t.test('bracket classes, negated with ! or ^', async (t) => {
  matches(t, 'f[0-2].log', ['f0.log', 'f2.log'], ['f3.log', 'f.log']);
  matches(t, 'f[!0-2].log', ['f3.log', 'fa.log', 'f!.log'], ['f0.log', 'f2.log', 'f/.log']);
  matches(t, 'f[^0-2].log', ['f3.log'], ['f1.log']);
});

t.test('dotfiles and dot directories match only where the pattern spells the dot', async (t) => {
  matches(t, '*', ['a', 'd/a'], ['.a', 'd/.a', '.d/a']);
  matches(t, '*.log', ['x.log'], ['.x.log', '.cache/x.log']);
  matches(t, '**/result.json', ['a/result.json'], ['.git/result.json', 'a/.snap/result.json']);
  matches(t, 'out/**', ['out/a'], ['out/.a', 'out/.d/a']);
  matches(t, '.*', ['.a', 'd/.a'], ['a']);
  matches(t, '.cache/**', ['.cache/a', '.cache/b/c'], ['cache/a']);
  matches(t, '.arrayflow-owner', ['.arrayflow-owner'], ['arrayflow-owner']);
});

t.test('regexp characters, parentheses, quotes, braces, extglobs and a leading ! are literal', async (t) => {
  matches(t, 'a+b$^.txt', ['a+b$^.txt'], ['aab$^.txt', 'a+b$^xtxt']);
  matches(t, 'run (1)/*.json', ['run (1)/a.json'], ['run 1/a.json']);
  matches(t, 'a|b', ['a|b'], ['a', 'b']);
  matches(t, 'say "hi".txt', ['say "hi".txt'], ['say hi.txt']);
  matches(t, '*.{csv,json}', ['a.{csv,json}'], ['a.csv', 'a.json']);
  matches(t, '@(a|b).txt', ['@(a|b).txt'], ['a.txt', '@a.txt']);
  matches(t, '!x.txt', ['!x.txt'], ['y.txt', 'x.txt']);
  matches(t, 'a\\*b', ['a*b'], ['axb']);
  matches(t, 'r\\(1\\).json', ['r(1).json'], ['r1.json']);
});

t.test('the compiled RegExp has no state between calls', async (t) => {
  const re = globToRegExp('*.json');
  t.same(['a.json', 'b.json', 'c.json'].map((p) => re.test(p)), [true, true, true], 'no /g lastIndex carried over');
});
