// a number literal beyond the range of a double inside a list of a plain-JSON result is a bad result (as it is
// at a leaf, or in a list of a file that also writes NaN), not the text "[null]" in the dataset.
import t from 'tap';
import { parseJsonResult } from '../../src/node/result-json.js';

t.test('1e400 in a list: a bad result, with or without NaN elsewhere', async (t) => {
  for (const text of ['{"a":[1e400]}', '{"a":[1, [-1e400]]}', '{"a":[1e400],"b":NaN}']) {
    const r = parseJsonResult(text, { file: 'r.json' });
    t.equal(r.ok, false, text);
    if (!r.ok) t.match(r.reason, /beyond the range of a double/, text);
  }
  t.same(parseJsonResult('{"a":[1.5e300, -2]}', { file: 'r.json' }), { ok: true, result: { a: '[1.5e+300,-2]' } });
});
