// The stderr tail of a failure record: the last 10 lines of a stream's last 2 KiB, from text or from a file's end.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STDERR_TAIL_BYTES, readStderrTail, stderrTailOf } from '../../src/records/tail.js';

const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `line ${from + i}`).join('\n');

t.test('stderrTailOf: the last 10 lines, a final newline not counted as one, blank ends trimmed', async (t) => {
  t.equal(stderrTailOf(lines(1, 30) + '\n'), lines(21, 30));
  t.equal(stderrTailOf('\n  only one  \n\n'), 'only one');
  t.equal(stderrTailOf(''), '');
  const long = 'x'.repeat(5000) + '\nlast\n';
  t.equal(stderrTailOf(long), 'x'.repeat(STDERR_TAIL_BYTES - 6) + '\nlast', 'no more than the last 2 KiB');
});

t.test('readStderrTail reads the end of a large file; a missing file is an empty tail', async (t) => {
  const dir = t.testdir();
  writeFileSync(join(dir, 'err'), 'y'.repeat(1 << 20) + '\n' + lines(1, 12) + '\n');
  t.equal(readStderrTail(join(dir, 'err')), lines(3, 12));
  t.equal(readStderrTail(join(dir, 'missing')), '');
});
