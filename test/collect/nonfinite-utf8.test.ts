// a NaN/±Infinity result value in a column that is utf8 (mixed with strings) must not become the text "null".
import t from 'tap';
import { makeVector } from '../../src/collect/arrow.js';
import { inferKind, inferredColumn } from '../../src/collect/columns.js';

t.test('NaN and ±Infinity in a utf8 column are their text, not "null"', async (t) => {
  const vals = ['n/a', NaN, Infinity, -Infinity, null];
  t.equal(inferKind(vals, true), 'utf8');
  const col = inferredColumn('y', 'utf8', vals);
  const got = [...makeVector(col.data)];
  t.same(got, ['n/a', 'NaN', 'Infinity', '-Infinity', null]);
});
