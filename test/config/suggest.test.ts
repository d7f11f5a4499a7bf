// Tests of the did-you-mean helper.

import t from 'tap';
import { closest, didYouMean, editDistance } from '../../src/config/suggest.js';

t.test('editDistance counts a swap as one edit', async (t) => {
  t.equal(editDistance('lsh', 'lhs'), 1);
  t.equal(editDistance('comand', 'command'), 1);
  t.equal(editDistance('', 'abc'), 3);
  t.equal(editDistance('same', 'same'), 0);
});

t.test('closest within 2 edits, and not for tiny unrelated words', async (t) => {
  t.equal(closest('executr', ['executor', 'env']), 'executor');
  t.equal(closest('memory', ['mem', 'time']), undefined);
  t.equal(closest('x', ['qos']), undefined);
  t.equal(didYouMean('tme', ['time']), "; did you mean 'time'?");
  t.equal(didYouMean('zzzz', ['time']), '');
});
