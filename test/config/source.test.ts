// Tests of the YAML source locator: key paths to line:col, syntax issues, odd roots.

import t from 'tap';
import { formatPath, parseConfigSource } from '../../src/config/source.js';

t.test('formatPath', async (t) => {
  t.equal(formatPath([]), '');
  t.equal(formatPath(['parameters', 'alpha', 'uniform', 1]), 'parameters.alpha.uniform[1]');
  t.equal(formatPath(['command', 0]), 'command[0]');
  t.equal(formatPath(['env', 'A B']), 'env["A B"]');
  t.equal(formatPath(['extra', 'mail-type']), 'extra.mail-type');
});

t.test('locate values, keys, list items, empty values and missing paths', async (t) => {
  const src = parseConfigSource(
    ['# comment', 'name: s', 'command:', '  - a', '  - b', 'executor:', 'sampling: {method: grid}', ''].join('\n'),
    'c.yaml',
  );
  t.strictSame(src.issues, []);
  t.strictSame(src.locate(['name']), { line: 2, col: 7 });
  t.strictSame(src.locate(['name'], { key: true }), { line: 2, col: 1 });
  t.strictSame(src.locate(['command', 1]), { line: 5, col: 5 });
  t.strictSame(src.locate(['executor']), { line: 6, col: 1 }, 'an empty value points at its key');
  t.strictSame(src.locate(['sampling', 'method']), { line: 7, col: 20 });
  t.strictSame(src.locate(['sampling', 'nope', 'deeper']), { line: 7, col: 11 }, 'nearest written ancestor');
  t.strictSame(src.locate([]), { line: 2, col: 1 }, 'root: its first key');
});

t.test('anchors and aliases resolve; merge keys work', async (t) => {
  const src = parseConfigSource('base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n', 'c.yaml');
  t.strictSame(src.data, { base: { x: 1 }, other: { x: 1, y: 2 } });
});

t.test('several syntax errors: one issue each, no stack', async (t) => {
  const src = parseConfigSource('a: [1\nb: "x\n', 'c.yaml');
  t.equal(src.data, undefined);
  t.ok(src.issues.length >= 1);
  for (const i of src.issues) t.notMatch(i.message, /\n|at .*:\d+:\d+/);
});

t.test('a list, a mapping or binary data as a key is an issue at the key, and no warning is printed (fuzz counterexample)', async (t) => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const issues = (text: string) => parseConfigSource(text, 'c.yaml').issues.map((i) => [i.line, i.col, i.path, i.message]);
  const must = (found: string) => `a key must be a name (text or a number), found ${found}; write the key as plain text`;
  t.strictSame(issues('name: s\nexecutor:\n  ? [a, b]\n  : 1\n'), [[3, 5, 'executor', must('a list')]]);
  t.strictSame(issues('!!binary aGk=name: s\n'), [[1, 10, '', must('binary or tagged data')]]);
  t.strictSame(issues('k: &m {a: 1}\nenv:\n  *m : 1\n'), [[3, 3, 'env', must('a mapping')]]);
  t.strictSame(issues('k: &a A\nenv: {*a : 1, 1: x, true: y}\n'), [], 'an alias of text, numbers and true/false are keys');
  await new Promise((r) => setImmediate(r));
  t.strictSame(warnings, []);
});

t.test('what aliases cannot give is located: a merge of a non-mapping, the billion laughs, refused by the maxAliasCount of yaml (fuzz counterexamples, both were at 1:1)', async (t) => {
  const issues = (text: string) => parseConfigSource(text, 'c.yaml').issues.map((i) => [i.line, i.col, i.path, i.message]);
  t.strictSame(issues('name: s\nexecutor:\n  <<: 1\n'), [[3, 3, 'executor', 'a merge key << takes a mapping or an alias of one (<<: *base), found the value "1"']]);
  t.strictSame(issues('b: &b [1]\nexecutor: {<<: [*b]}\n'), [[2, 12, 'executor', 'a merge key << takes a mapping or an alias of one (<<: *base), found a list']]);
  let laughs = 'l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
  for (let d = 1; d < 10; d++) laughs += `l${d}: &l${d} [${Array(9).fill(`*l${d - 1}`).join(', ')}]\n`;
  t.strictSame(issues(`name: s\n${laughs}`), [[3, 10, 'l1[0]', 'the aliases expand to too much data (an alias of an alias of ..., the "billion laughs"); write the values out']]);
});

t.test('a scalar root', async (t) => {
  const src = parseConfigSource('42\n', 'c.yaml');
  t.match(src.issues, [{ line: 1, col: 1, path: '', message: /top level must be a mapping.*found a single value/ }]);
});
