// StatusAnswers: which open elements a status answer calls final, which it lost track of, and which jobs the database is asked about.
import t from 'tap';
import { ElementBook } from '../../src/executor/elements.js';
import { StatusAnswers } from '../../src/executor/status-answers.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import type { ElementStatus } from '../../src/scheduler/types.js';

const GRACE = 1_000;

/** Job 7 runs tasks 0..3 as 4 elements of one task each. */
function fixture(): { book: ElementBook; answers: StatusAnswers } {
  const book = new ElementBook(4);
  book.add('7', 1, 4, (i) => [i]);
  return { book, answers: new StatusAnswers(book, () => slurmScheduler, GRACE) };
}

const st = (index: number | null, state: ElementStatus['state'], extra: Partial<ElementStatus> = {}): ElementStatus => ({
  arrayJobId: '7',
  index,
  state,
  rawState: state.toUpperCase(),
  scheduler: 'slurm',
  ...extra,
});

t.test('an element the answer calls final is a verdict from then on; running and pending ones are not', async (t) => {
  const { answers } = fixture();
  answers.note([st(0, 'completed'), st(1, 'running'), st(null, 'pending', { range: '2-3' })], ['7'], 100);
  t.same(
    [...answers.pending()].map((v) => [v.index, v.since, v.st.state]),
    [[0, 100, 'completed']],
  );
  // a later answer does not move its time: the lag is counted from the first
  answers.note([st(0, 'completed')], ['7'], 500);
  t.equal([...answers.pending()][0].since, 100);
  answers.drop([...answers.pending()][0]);
  t.same([...answers.pending()], []);
});

t.test('an element missing from every answer for the grace is lost (since 0: settled at once), not waited for', async (t) => {
  const { answers } = fixture();
  const others = [st(0, 'running'), st(1, 'running'), st(2, 'running')];
  answers.note(others, ['7'], 0);
  answers.note(others, ['7'], GRACE - 1);
  t.same([...answers.pending()], [], 'within the grace: no verdict');
  answers.note(others, ['7'], GRACE);
  t.match([...answers.pending()], [{ index: 3, since: 0, st: { state: 'unknown', rawState: 'no longer known to the scheduler', scheduler: slurmScheduler.name } }]);
});

t.test('named again within the grace: the clock starts over', async (t) => {
  const { answers } = fixture();
  const without3 = [st(0, 'running'), st(1, 'running'), st(2, 'running')];
  answers.note(without3, ['7'], 0);
  answers.note([...without3, st(3, 'running')], ['7'], GRACE / 2);
  answers.note(without3, ['7'], GRACE);
  t.same([...answers.pending()], [], 'missing since GRACE/2 only');
  answers.note(without3, ['7'], GRACE + GRACE);
  t.equal([...answers.pending()].length, 1);
});

t.test('closed elements are not judged', async (t) => {
  const { book, answers } = fixture();
  book.close('7', 0);
  answers.note([st(0, 'failed', { exitCode: 1 })], ['7'], 10);
  t.same([...answers.pending()], []);
});

t.test('the database is asked about a listed job when the queue forgot an open element, failed one without an exit code or ended one without its end', async (t) => {
  const { answers } = fixture();
  const all = [st(0, 'running'), st(1, 'running'), st(2, 'running'), st(3, 'running')];
  t.same(answers.askDatabase(all, ['7']), [], 'every open element listed');
  t.same(answers.askDatabase([], ['7']), [], 'not listed at all: the runner asks the database anyway');
  t.same(answers.askDatabase(all.slice(0, 3), ['7']), ['7'], 'element 3 missing');
  t.same(answers.askDatabase([...all.slice(0, 3), st(3, 'failed')], ['7']), ['7'], 'failed without an exit code');
  const end = '2026-12-04T18:41:00.000Z';
  t.same(answers.askDatabase([...all.slice(0, 3), st(3, 'failed', { exitCode: 2, end })], ['7']), [], 'failed with its exit code');
  t.same(answers.askDatabase([...all.slice(0, 3), st(3, 'timeout')], ['7']), ['7'], 'ended without saying when (state-only squeue): its times are asked for');
  t.same(answers.askDatabase([...all.slice(0, 3), st(3, 'timeout', { end })], ['7']), [], 'ended, and when');
  t.same(answers.askDatabase([...all.slice(0, 3), st(3, 'completed')], ['7']), [], 'completed: its record comes, no times needed');
  // once noted missing, the database was asked already: asking each tick would not change its answer
  answers.note(all.slice(0, 3), ['7'], 0);
  t.same(answers.askDatabase(all.slice(0, 3), ['7']), []);
});

t.test('an element closed while missing from answers, then opened again (a stolen task handed to it): its grace starts over', async (t) => {
  const { book, answers } = fixture();
  const without3 = [st(0, 'running'), st(1, 'running'), st(2, 'running')];
  // element 3 missing from one answer (its records were late), then closed by its records
  answers.note(without3, ['7'], 0);
  book.close('7', 3);
  answers.note(without3, ['7'], GRACE / 2);
  // long after, a sibling's slice had a block element 3 claimed and did not record: element 3 is opened again
  book.adopt('7', 3, 0);
  t.same(answers.askDatabase(without3, ['7']), ['7'], 'the database is asked about the element the queue no longer names');
  answers.note(without3, ['7'], 10 * GRACE);
  t.same([...answers.pending()], [], 'not lost at once on a first missing answer: the grace counts from now');
});
