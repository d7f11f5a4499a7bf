// Tests for BatchRun's polling (src/executor/batch.ts with ./poll.ts): status queries follow the clock, not the records, against a scripted Slurm.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { BatchRun } from '../../src/executor/batch.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import type { TaskRecord } from '../../src/records/record.js';
import { retryPolicy } from '../../src/records/owed.js';
import { selectFinal } from '../../src/records/select-final.js';
import { RecordWriter } from '../../src/records/writer.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import type { CommandResult, Transport } from '../../src/transport/transport.js';
import { followFinals } from '../../src/watch/records.js';
import { allRecords } from '../helpers/parts.js';
import { slurmPlan } from '../helpers/plans.js';
import { programOf } from '../../src/util/program.js';

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
/** `hidden`: the queue leaves the lost elements out once they are killed (aged out after MinJobAge): only sacct has them. */
interface Opts { every: number; lost: number[]; killAt: number; hidden?: boolean }
const JOB = '500';

/**
 * A scripted Slurm whose array `500` "runs" once submitted: element i writes its record at `start + i * every` ms,
 * except the `lost` ones, which the queue calls FAILED (sacct: killed by signal 9) from `killAt` ms on, with no record.
 */
function fakeSlurm(root: string, tasks: number, opts: Opts) {
  const layout = new EnsembleLayout(root);
  mkdirSync(layout.resultsDir, { recursive: true });
  const writer = new RecordWriter(layout.recordFile(`e0-a1-${JOB}`));
  let t0 = 0;
  const timers: NodeJS.Timeout[] = [];
  const status: string[][] = [];
  const record = (task: number): TaskRecord => ({
    task, attempt: 1, status: 'done', reason: null, exit_code: 0, signal: null, host: 'vm', job_id: `${JOB}_${task}`,
    start: new Date().toISOString(), end: new Date().toISOString(), duration_s: 0.01, result: { y: task },
  });
  const recorded = new Set<number>();
  const line = (i: number): string => {
    const age = Date.now() - t0;
    if (opts.lost.includes(i)) return `${JOB}_${i}|${600 + i}|${JOB}|${i}|${age >= opts.killAt ? 'FAILED' : 'RUNNING'}|None|vm`;
    return `${JOB}_${i}|${600 + i}|${JOB}|${i}|${recorded.has(i) ? 'COMPLETED' : 'RUNNING'}|None|vm`;
  };
  const transport: Transport = {
    calls: new Map(),
    async run(argv) {
      if (programOf(argv) === 'scontrol') return ok('ClusterName = c\nMaxArraySize = 1001\nAccountingStorageType = accounting_storage/slurmdbd\nSLURM_VERSION = 22.05.8\n');
      if (programOf(argv) === 'sinfo') return ok('debug* 0/8/0/8\n');
      if (argv.includes('--name')) return ok('');
      // the end of a stealing run: its queued elements cancelled (nothing is queued here)
      if (programOf(argv) === 'scancel') return ok('');
      if (programOf(argv) === 'sbatch') {
        t0 = Date.now();
        for (let i = 0; i < tasks; i++) {
          if (opts.lost.includes(i)) continue;
          timers.push(setTimeout(() => { writer.write(record(i)); recorded.add(i); }, 10 + i * opts.every));
        }
        return ok(`${JOB}\n`);
      }
      status.push(argv);
      if (programOf(argv) === 'squeue') {
        const shown = Array.from({ length: tasks }, (_, i) => i).filter((i) => !(opts.hidden && opts.lost.includes(i) && Date.now() - t0 >= opts.killAt));
        return ok(shown.map(line).join('\n') + '\n');
      }
      if (programOf(argv) === 'sacct') return ok(opts.lost.map((i) => `${JOB}_${i}|${600 + i}|FAILED|0:9|None|vm|1796409930|1796409931`).join('\n') + '\n');
      throw new Error(`unexpected ${argv.join(' ')}`);
    },
    close: async () => undefined,
  };
  return { layout, transport, status, done: () => { timers.forEach(clearTimeout); writer.close(); } };
}

async function run(root: string, tasks: number, opts: Opts, tickMs: { min: number; max: number }) {
  const p = slurmPlan({ array: { bundle: 1, parallel: 1, throttle: 50, steal: true } }, tasks, 1);
  const sim = fakeSlurm(root, tasks, opts);
  const batch = new BatchRun(sim.layout, p, slurmScheduler, sim.transport, followFinals(sim.layout.resultsDir, tasks), { runId: 'r1', policy: retryPolicy(0, undefined), tickMs });
  const t0 = Date.now();
  await batch.run();
  const elapsed = Date.now() - t0;
  sim.done();
  return { elapsed, status: sim.status, finals: selectFinal(allRecords(sim.layout.resultsDir)) };
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
