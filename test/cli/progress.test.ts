// Progress display: durations as people read them, the plain progress line, and when plain lines are written.
import t from 'tap';
import { formatDuration, progressLine, progressReporter } from '../../src/cli/progress.js';
import type { Progress } from '../../src/run/types.js';

const progress = (p: Partial<Progress> = {}): Progress => ({
  total: 10,
  done: 3,
  failed: 1,
  pending: 6,
  retrying: 0,
  finishedThisRun: 4,
  elapsed_s: 75,
  eta_s: null,
  ...p,
});

/** A non-TTY stream that keeps what is written to it. */
function plainStream(): { stream: NodeJS.WriteStream; lines: string[] } {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, lines };
}

t.test('formatDuration: unknown, seconds, minutes with seconds, hours with minutes', async (t) => {
  t.equal(formatDuration(null), '?');
  t.equal(formatDuration(Number.NaN), '?');
  t.equal(formatDuration(Infinity), '?');
  t.equal(formatDuration(0), '0s');
  t.equal(formatDuration(7.4), '7s', 'rounded');
  t.equal(formatDuration(59), '59s');
  t.equal(formatDuration(60), '1m00s');
  t.equal(formatDuration(61), '1m01s', 'seconds padded to two digits');
  t.equal(formatDuration(754), '12m34s');
  t.equal(formatDuration(3599), '59m59s');
  t.equal(formatDuration(3600), '1h00m');
  t.equal(formatDuration(3600 + 9 * 60 + 59), '1h09m', 'hours drop the seconds, not round them up');
  t.equal(formatDuration(25 * 3600 + 60), '25h01m', 'hours do not roll over into days');
});

t.test('formatDuration never shows 60 seconds', async (t) => {
  t.equal(formatDuration(59.6), '1m00s', '59.6 s');
  t.equal(formatDuration(119.6), '2m00s', '119.6 s');
  t.equal(formatDuration(3599.7), '1h00m', '3599.7 s');
});

t.test('progressLine: finished of total, done and failed, elapsed and ETA', async (t) => {
  t.equal(progressLine(progress()), 'progress: 4/10 (3 done, 1 failed), elapsed 1m15s, ETA ?');
  t.equal(
    progressLine(progress({ stage: 'fine', done: 10, failed: 0, pending: 0, total: 10, elapsed_s: 3725, eta_s: 0 })),
    'progress (stage fine): 10/10 (10 done, 0 failed), elapsed 1h02m, ETA 0s',
  );
  t.match(progressLine(progress({ eta_s: 42 })), /ETA 42s$/);
  t.equal(progressLine(progress({ failed: 0, retrying: 1 })), 'progress: 3/10 (3 done, 0 failed, 1 retrying), elapsed 1m15s, ETA ?', 'tasks owed a retry are work to do');
});

t.test('plain lines: the first update is written, then none within 5 s until nothing is pending', async (t) => {
  const { stream, lines } = plainStream();
  const r = progressReporter(stream);
  r.update(progress({ done: 1 }));
  r.update(progress({ done: 2 }));
  r.update(progress({ done: 3 }));
  t.same(lines, [progressLine(progress({ done: 1 })) + '\n'], 'one line for three quick updates');
  const last = progress({ done: 9, failed: 1, pending: 0 });
  r.update(last);
  t.equal(lines.length, 2, 'the update that ends the run is written at once');
  t.equal(lines[1], progressLine(last) + '\n');
  r.stop();
  t.equal(lines.length, 2, 'stop after the last line adds nothing');
});

t.test('plain lines: stop writes the latest counts when some are still pending', async (t) => {
  const { stream, lines } = plainStream();
  const r = progressReporter(stream);
  r.update(progress({ done: 1 }));
  r.update(progress({ done: 5, pending: 4 }));
  r.stop();
  t.same(lines, [progressLine(progress({ done: 1 })) + '\n', progressLine(progress({ done: 5, pending: 4 })) + '\n']);
});

t.test('plain lines: stop without any update writes nothing', async (t) => {
  const { stream, lines } = plainStream();
  progressReporter(stream).stop();
  t.same(lines, []);
});
