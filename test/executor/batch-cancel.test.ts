// Tests for BatchRun's reading of the cancel request (src/executor/batch.ts, ./resubmit.ts): once a tick, and again only right before a submission, against a scripted Slurm.
import t from 'tap';
import { BatchRun } from '../../src/executor/batch.js';
import { retryPolicy } from '../../src/records/owed.js';
import type { TaskRecord } from '../../src/records/record.js';
import { selectFinal } from '../../src/records/select-final.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import type { Transport } from '../../src/transport/transport.js';
import { programOf } from '../../src/util/program.js';
import { followFinals } from '../../src/watch/records.js';
import { type Opts, fakeSlurm } from '../helpers/fake-slurm.js';
import { allRecords } from '../helpers/parts.js';
import { slurmPlan } from '../helpers/plans.js';

/**
 * Runs `tasks` one-task elements on the scripted Slurm with `retries`; `events` gets `cancel` for each question to the
 * cancel request (answered by `cancelled()`), `records` for each read of the records, `sbatch` for each submission.
 */
async function run(root: string, tasks: number, opts: Opts, retries: number, cancelled: () => boolean, onRecords?: (changed: TaskRecord[]) => void) {
  const p = slurmPlan({ array: { bundle: 1, parallel: 1, throttle: 50, steal: true } }, tasks, 1);
  const sim = fakeSlurm(root, tasks, opts);
  const events: string[] = [];
  const transport: Transport = {
    ...sim.transport,
    run(argv, o) {
      if (programOf(argv) === 'sbatch') events.push('sbatch');
      return sim.transport.run(argv, o);
    },
  };
  const inner = followFinals(sim.layout.resultsDir, tasks);
  const follow = {
    poll: (each: Parameters<typeof inner.poll>[0]) => {
      events.push('records');
      return inner.poll(each);
    },
    read: (ids: Iterable<number>) => inner.read(ids),
  };
  const batch = new BatchRun(sim.layout, p, slurmScheduler, transport, follow, {
    runId: 'r1',
    policy: retryPolicy(retries, undefined),
    tickMs: { min: 20, max: 1000 },
    onRecords,
    cancelRequested: async () => {
      events.push('cancel');
      return cancelled();
    },
  });
  await batch.run();
  sim.done();
  return { events, finals: selectFinal(allRecords(sim.layout.resultsDir)) };
}

t.test('cancel.json is read once a tick: never twice without the records read or a submission between', async (t) => {
  const { events, finals } = await run(t.testdir(), 20, { every: 20, lost: [], killAt: Infinity }, 0, () => false);
  t.equal(finals.size, 20);
  const reads = events.filter((e) => e === 'cancel').length;
  t.ok(reads >= 10, `${reads} reads: the run lasted many ticks`);
  const twice = events.findIndex((e, i) => e === 'cancel' && events[i + 1] === 'cancel');
  t.equal(twice, -1, twice === -1 ? 'once a tick' : `read twice in a tick: ${events.slice(Math.max(0, twice - 3), twice + 3).join(' ')}`);
});

t.test('a cancel that comes while a tick runs: the retry that tick made owed is not submitted, the task ends cancelled', async (t) => {
  let cancel = false;
  // the scheduler's verdict on the lost element (killed by signal 9, owed a retry) is read in the middle of a tick,
  // after that tick's first look at the cancel request: the cancel comes with it
  const noticeFailure = (changed: TaskRecord[]) => {
    if (changed.some((r) => r.status === 'failed')) cancel = true;
  };
  const { events, finals } = await run(t.testdir(), 10, { every: 20, lost: [9], killAt: 50 }, 1, () => cancel, noticeFailure);
  t.equal(events.filter((e) => e === 'sbatch').length, 1, 'the first submission only: no retry');
  t.equal(finals.size, 10);
  t.match(finals.get(9), { status: 'failed', attempt: 2, reason: /^cancelled: arrayflow cancel stopped the ensemble before this attempt started/ });
});
