// Tests for src/executor/batch.ts: the batch loop against a scripted transport (golden scripts: test/render/submission.test.ts).
import t from 'tap';
import { join } from 'node:path';
import { BatchRun } from '../../src/executor/batch.js';
import { retryPolicy } from '../../src/records/owed.js';
import { readJournal } from '../../src/journal/journal.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { jobName } from '../../src/plan/plan.js';
import type { CommandResult, Transport } from '../../src/transport/transport.js';
import { slurmPlan as plan } from '../helpers/plans.js';
import { programOf } from '../../src/util/program.js';

t.test('a chunk found in the live queue but not (yet) in sacct is adopted, not submitted again', async (t) => {
  // What a restarted controller meets when its predecessor died between sbatch and the journal while the job
  // is queued: squeue knows the job; sacct, asked by name, does not list a job before it is eligible to start
  // (held, --begin, dependency) and lags behind a submission.
  const p = plan({ array: { bundle: 4, parallel: 1, steal: true } }, 8, 4);
  const root = t.testdir();
  const abort = new AbortController();
  const asked: string[][] = [];
  const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
  const transport: Transport = {
    calls: new Map(),
    async run(argv) {
      asked.push(argv);
      const program = programOf(argv);
      this.calls.set(program, (this.calls.get(program) ?? 0) + 1);
      if (program === 'scontrol') return ok('ClusterName = c\nMaxArraySize = 1001\nAccountingStorageType = accounting_storage/slurmdbd\n');
      if (program === 'squeue' && argv.includes('--name')) return ok('4242\n');
      if (program === 'sacct' && argv.includes('--name')) return ok('');
      if (program === 'squeue') {
        abort.abort(); // the first status query (the live queue): the submission phase is over
        return ok('4242_[0-1]|4242|4242|0-1|PENDING|JobHeldUser|\n');
      }
      return ok('9999\n');
    },
    close: async () => undefined,
  };
  const run = new BatchRun(new EnsembleLayout(root), p, slurmScheduler, transport, { poll: async () => 0, read: async () => new Map() }, {
    runId: 'r1',
    policy: retryPolicy(p.retries, p.executor.retry_on),
    tickMs: { min: 1, max: 1 },
    signal: abort.signal,
  });
  await run.run();
  t.notOk(transport.calls.has('sbatch'), 'no sbatch');
  t.same(run.jobIds(), ['4242']);
  t.same(asked.find((a) => programOf(a) === 'squeue'), ['squeue', '-h', '-t', 'all', '--name', jobName(p, '0000'), '-o', '%F'], 'the live queue was asked by name');
  const submitted = (await readJournal(join(root, 'journal.ndjson'))).filter((e) => e.event === 'submitted');
  t.match(submitted, [{ chunk: '0000', job_id: '4242', offset: 0, elements: 2, attempt: 1 }], 'the adopted job is journalled');
});
