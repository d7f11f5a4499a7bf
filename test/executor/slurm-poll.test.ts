// Status queries through the real test Slurm: by the clock and not by the records, the live queue before the database,
// and an element cancelled before it could write a record still ending as a failed row (invariants 4 and 6).
import t from 'tap';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { runEnsemble } from '../../src/run/run.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import type { CommandResult, Transport } from '../../src/transport/transport.js';
import { LocalTransport } from '../../src/transport/local.js';
import { behaveSim, dropTapHooks, writeConfig } from '../helpers/ensemble.js';
import { jobsEnded, requireSlurm, slurmEnv } from '../helpers/slurm.js';
import { programOf } from '../../src/util/program.js';

dropTapHooks();
const TICK = { min: 200, max: 2000 };

/** A transport that runs commands on this host and keeps every argv with the time it was run. */
class CountingTransport implements Transport {
  private readonly inner = new LocalTransport();
  readonly log: Array<{ at: number; argv: string[] }> = [];
  get calls(): Map<string, number> {
    return this.inner.calls;
  }
  run(argv: string[], opts?: { timeoutMs?: number; idempotent?: boolean }): Promise<CommandResult> {
    this.log.push({ at: Date.now(), argv });
    return this.inner.run(argv, opts);
  }
  /** Status queries: squeue and sacct, but not the find-by-name lookups before each sbatch. */
  status(): Array<{ at: number; argv: string[] }> {
    return this.log.filter((c) => (programOf(c.argv) === 'squeue' || programOf(c.argv) === 'sacct') && !c.argv.includes('--name'));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Total RPCs of the controller (sdiag) and of slurmdbd (sacctmgr show stats), for the record; null where unreadable. */
async function rpcTotals(): Promise<{ slurmctld: number | null; slurmdbd: number | null }> {
  const sum = (text: string, section: RegExp) => {
    const part = text.split(section)[1];
    if (!part) return null;
    return [...part.split(/\n\s*\n/)[0].matchAll(/count:\s*(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  };
  const d = await execa('sdiag', [], { env: slurmEnv(), reject: false });
  const s = await execa('sacctmgr', ['show', 'stats'], { env: slurmEnv(), reject: false });
  return {
    slurmctld: d.exitCode === 0 ? sum(String(d.stdout), /Remote Procedure Call statistics by message type/) : null,
    slurmdbd: s.exitCode === 0 ? sum(String(s.stdout), /Remote Procedure Call statistics by message type/) : null,
  };
}

t.jobs = 2;

t.test('40 short tasks in 20 elements: status queries bounded by elapsed / interval, not by records; the queue, not the database', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const cfg = writeConfig(
    dir,
    `name: pollcount
ensemble_dir: ens
command: [node, behave.mjs, ok, "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  x: { int: [0, 39] }
sampling: { method: grid }
executor:
  type: slurm
  resources: { time: "00:05:00", mem: 200M }
  array: { bundle: 2, throttle: 8 }
`,
  );
  const transport = new CountingTransport();
  const before = await rpcTotals();
  const t0 = Date.now();
  const jobs: string[] = [];
  const result = await runEnsemble(cfg, { transport, tickMs: TICK, onProgress: () => undefined, onSubmit: (s) => jobs.push(s.jobId) });
  const elapsed = Date.now() - t0;
  const after = await rpcTotals();
  t.equal(result.done, 40);
  const status = transport.status();
  const bound = Math.floor(elapsed / TICK.max) + 1 /* the first */ + 1 /* the straggler, one submission */ + 1;
  t.ok(status.length <= bound, `${status.length} status queries in ${elapsed} ms (interval ${TICK.max} ms) for 40 records: <= ${bound}`);
  t.notOk(status.some((c) => programOf(c.argv) === 'sacct'), 'the job never left the queue: no sacct status query');
  const squeue = status.filter((c) => programOf(c.argv) === 'squeue');
  const gaps = squeue.slice(1).map((c, i) => c.at - squeue[i].at);
  t.ok(gaps.every((g) => g >= TICK.min - 50), `never two queries closer than the shortest gap (${gaps.join(', ')} ms)`);
  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  t.equal(records.length, 40, 'one record per task');
  const delta = (k: 'slurmctld' | 'slurmdbd') => (before[k] === null || after[k] === null ? 'n/a' : String((after[k] as number) - (before[k] as number)));
  t.comment(`elapsed ${elapsed} ms, status queries ${status.length} (${status.map((c) => programOf(c.argv)).join(' ')}), records 40; ` +
    `RPCs during the run (whole cluster, other tests included): slurmctld ${delta('slurmctld')}, slurmdbd ${delta('slurmdbd')}`);
  await transport.close();
  // elements still ending (their claim files, their spawn helpers) must not race tap removing the directory
  await jobsEnded(jobs);
});

t.test('an element cancelled before it wrote anything becomes a failed row: the run does not hang', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const cfg = writeConfig(
    dir,
    `name: pollcancel
ensemble_dir: ens
command: [node, behave.mjs, "{mode}", "{x}"]
inputs: { copy: [${JSON.stringify(behaveSim)}] }
parameters:
  mode: { values: [sleep, ok] }
  x: { int: [0, 9] }
sampling: { method: list, points: [{ mode: sleep, x: 6 }, { mode: ok, x: 1 }, { mode: ok, x: 2 }] }
executor:
  type: slurm
  resources: { time: "00:05:00", mem: 200M }
  array: { bundle: 1, throttle: 1, steal: false }
`,
  );
  const transport = new CountingTransport();
  const journal = join(dir, 'ens', 'journal.ndjson');
  // throttle 1: element 0 sleeps while 1 and 2 wait; element 2 is cancelled while it waits, so it never writes a record
  // (steal: false, or element 1 would take element 2's task once its own is done: slurm-claims.test.ts covers that)
  const cancel = (async () => {
    for (let i = 0; i < 300; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const m = existsSync(journal) ? /"job_id":"(\d+)"/.exec(readFileSync(journal, 'utf8')) : null;
      if (!m) continue;
      const q = await execa('squeue', ['-h', '-t', 'all', '-j', `${m[1]}_0`, '-o', '%T'], { env: slurmEnv(), reject: false });
      if (!String(q.stdout).includes('RUNNING')) continue;
      await execa('scancel', [`${m[1]}_2`], { env: slurmEnv() });
      return Date.now();
    }
    return null;
  })();
  const t0 = Date.now();
  const jobs: string[] = [];
  // an element no answer names is lost after 5 s here (30 s by default): the forgotten element is all this test waits for
  const result = await runEnsemble(cfg, { transport, tickMs: { ...TICK, unknown: 5000 }, onProgress: () => undefined, onSubmit: (s) => jobs.push(s.jobId) });
  const elapsed = Date.now() - t0;
  const cancelledAt = await cancel;
  t.ok(cancelledAt !== null, 'element 2 was cancelled while it waited');
  t.equal(result.pending, 0, 'nothing left pending: the run did not hang');
  const finals = selectFinal((await readRecordFiles(join(dir, 'ens', 'results'))).records);
  t.equal(finals.get(0)?.status, 'done');
  t.equal(finals.get(1)?.status, 'done');
  // Slurm 22.05 forgets a pending array element cancelled by index (no squeue line, no sacct line): lost after the
  // grace for elements the scheduler no longer knows; a Slurm that keeps it says CANCELLED
  t.match(finals.get(2), { status: 'failed', source: 'scheduler', reason: /^(cancelled|lost): / }, `a scheduler-written failed row: ${finals.get(2)?.reason}`);
  const status = transport.status();
  t.ok(status.filter((c) => programOf(c.argv) === 'squeue').length <= Math.floor(elapsed / TICK.max) + 3, `${status.length} status queries in ${elapsed} ms`);
  t.comment(`elapsed ${elapsed} ms, status queries ${status.length}: ${status.map((c) => programOf(c.argv)).join(' ')}`);
  await transport.close();
});
