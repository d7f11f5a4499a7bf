// Tests of the {name} placeholder syntax shared by validation and the node wrapper.

import t from 'tap';
import { BUILTIN_PLACEHOLDERS, RESERVED_NAMES, parseTemplate, placeholderNames, renderTemplate } from '../../src/config/placeholders.js';
import { DataError } from '../../src/errors.js';

t.test('parse', async (t) => {
  t.strictSame(parseTemplate('--alpha={alpha}').parts, [{ literal: '--alpha=' }, { name: 'alpha' }]);
  t.strictSame(parseTemplate('{a}{b}').parts, [{ name: 'a' }, { name: 'b' }]);
  t.strictSame(parseTemplate('{{a}}').parts, [{ literal: '{a}' }]);
  t.strictSame(parseTemplate('{{{a}}}').parts, [{ literal: '{' }, { name: 'a' }, { literal: '}' }]);
  t.strictSame(parseTemplate('plain').parts, [{ literal: 'plain' }]);
  t.strictSame(parseTemplate('').parts, []);
  t.strictSame(placeholderNames('x{a}y{task_id}'), ['a', 'task_id']);
});

t.test('stray braces are problems', async (t) => {
  t.match(parseTemplate('{alpha').problems, [{ index: 0, message: /write '\{\{'/ }]);
  t.match(parseTemplate('a}').problems, [{ index: 1, message: /unmatched '\}'.*write '\}\}'/ }]);
  t.match(parseTemplate('{"json": 1}').problems, [{ index: 0 }, { index: 10 }]);
  t.match(parseTemplate('{ alpha }').problems.length, 2);
  t.strictSame(parseTemplate('{{"json": 1}}').problems, []);
});

t.test('render', async (t) => {
  t.equal(renderTemplate('--a={a}/{{x}}', { a: '0.5' }), '--a=0.5/{x}');
  t.equal(renderTemplate('{a}', { a: 'has space; $(rm -rf /)' }), 'has space; $(rm -rf /)', 'values are not interpreted');
  t.throws(() => renderTemplate('{b}', {}), DataError);
});

t.test('reserved names include the built-ins', async (t) => {
  for (const b of BUILTIN_PLACEHOLDERS) t.ok(RESERVED_NAMES.includes(b), b);
});
