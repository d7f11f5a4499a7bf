// Tests for BatchRun's polling (src/executor/batch.ts with ./poll.ts): status queries follow the clock, not the records, against a scripted Slurm.
import t from 'tap';
import { BatchRun } from '../../src/executor/batch.js';
import { sameHostCluster } from '../../src/executor/cluster-side.js';
import { retryPolicy } from '../../src/records/owed.js';
import { selectFinal } from '../../src/records/select-final.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import { followFinals } from '../../src/watch/records.js';
import { JOB, type Opts, fakeSlurm } from '../helpers/fake-slurm.js';
import { allRecords } from '../helpers/parts.js';
import { slurmPlan } from '../helpers/plans.js';
import { programOf } from '../../src/util/program.js';

/** `reads`: the files read on the cluster's side (job logs, start lines), relative to the ensemble. */
async function run(root: string, tasks: number, opts: Opts, tickMs: { min: number; max: number }, steal = true) {
  const p = slurmPlan({ array: { bundle: 1, parallel: 1, throttle: 50, steal } }, tasks, 1);
  const sim = fakeSlurm(root, tasks, opts);
  const reads: string[] = [];
  const same = sameHostCluster(sim.layout, p);
  const cluster = { ...same, readFile: (rel: string) => (reads.push(rel), same.readFile(rel)) };
  const batch = new BatchRun(sim.layout, p, slurmScheduler, sim.transport, followFinals(sim.layout.resultsDir, tasks), { runId: 'r1', policy: retryPolicy(0, undefined), tickMs, cluster });
  const t0 = Date.now();
  await batch.run();
  const elapsed = Date.now() - t0;
  sim.done();
  return { elapsed, status: sim.status, finals: selectFinal(allRecords(sim.layout.resultsDir)), reads };
}

t.test('200 records over ~2 s: a handful of status queries, by the clock; none once every element is recorded', async (t) => {
  const { elapsed, status, finals } = await run(t.testdir(), 200, { every: 10, lost: [], killAt: Infinity }, { min: 20, max: 1000 });
  t.equal(finals.size, 200);
  const squeue = status.filter((a) => programOf(a) === 'squeue').length;
  t.ok(squeue <= Math.floor(elapsed / 1000) + 2, `${squeue} squeue in ${elapsed} ms (interval 1000 ms), for 200 records`);
  t.notOk(status.some((a) => programOf(a) === 'sacct'), 'every job still in the queue: no sacct');
  t.ok(status.every((a) => a.includes('-j') && a[a.indexOf('-j') + 1] === JOB), 'one query for the whole submission');
});

t.test('an element killed without a record: found by the straggler query, written as failed within a tick of the verdict', async (t) => {
  const { elapsed, status, finals } = await run(t.testdir(), 20, { every: 20, lost: [19], killAt: 100 }, { min: 20, max: 5000 });
  t.equal(finals.size, 20);
  const lost = finals.get(19);
  t.match(lost, { status: 'failed', source: 'scheduler', attempt: 1, job_id: `${JOB}_19` });
  t.match(lost?.reason, /^killed by signal 9 \(SIGKILL\)/, "sacct's exit code detail for the queue's FAILED");
  t.ok(elapsed < 5000, `done in ${elapsed} ms: the early query, not the 5 s interval, found it`);
  t.same(status.map((a) => programOf(a)), ['squeue', 'squeue', 'sacct'], 'the first query, the straggler query, and the database for the one failed element');
});

t.test('an open element the queue no longer names: the database is asked about its job, in the same query', async (t) => {
  const { status, finals } = await run(t.testdir(), 10, { every: 20, lost: [9], killAt: 50, hidden: true }, { min: 20, max: 5000 });
  t.match(finals.get(9), { status: 'failed', source: 'scheduler', reason: /^killed by signal 9/ });
  t.same(status.map((a) => programOf(a)), ['squeue', 'squeue', 'sacct']);
});

t.test('a killed element of one task that steals nothing has no start lines to read: its settling does not look for them', async (t) => {
  const started = (reads: string[]) => reads.filter((r) => r.startsWith('started/'));
  const lone = await run(t.testdir(), 10, { every: 20, lost: [9], killAt: 50 }, { min: 20, max: 5000 }, false);
  t.match(lone.finals.get(9), { status: 'failed', source: 'scheduler', times: 'element' });
  t.same(started(lone.reads), [], 'no read of started/ (one file system round trip, over SSH one more command)');
  t.ok(lone.reads.some((r) => r.startsWith('logs/')), 'the job log is read, as it is for every failed element');
  const stealing = await run(t.testdir(), 10, { every: 20, lost: [9], killAt: 50 }, { min: 20, max: 5000 }, true);
  t.same(started(stealing.reads), ['started/e9-a1.ndjson'], 'one that may steal may have noted a second task: its file is read');
});
