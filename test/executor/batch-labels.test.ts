// BatchRun's labels of listed resubmissions after a kill: a label whose job cannot be found any more is not used again.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchRun } from '../../src/executor/batch.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { claimedTasks } from '../../src/node/claims.js';
import { formatClaim } from '../../src/records/claims.js';
import { retryPolicy } from '../../src/records/owed.js';
import type { TaskRecord } from '../../src/records/record.js';
import { selectFinal } from '../../src/records/select-final.js';
import { slurmScheduler } from '../../src/scheduler/slurm/binding.js';
import type { CommandResult } from '../../src/transport/transport.js';
import { followFinals } from '../../src/watch/records.js';
import { scriptedSlurm } from '../helpers/fake-slurm.js';
import { allRecords } from '../helpers/parts.js';
import { slurmPlan } from '../helpers/plans.js';
import { programOf } from '../../src/util/program.js';

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', exitCode: 0 });
const rec = (task: number, attempt: number, status: 'done' | 'failed', job: string): TaskRecord => ({
  task, attempt, status, reason: status === 'failed' ? 'exit code 1' : null, exit_code: status === 'failed' ? 1 : 0, signal: null, host: 'vm',
  job_id: job, start: new Date().toISOString(), end: new Date().toISOString(), duration_s: 0.01, result: status === 'done' ? { y: task } : null,
});
const line = (r: TaskRecord) => JSON.stringify(r) + '\n';

t.test('a resubmission journalled as submitting whose job is gone: its label (and claims directory) is not reused for other tasks', async (t) => {
  // 8 tasks, bundles of 2, retries 2. Chunk 0000 (job 500) ran them at attempt 1: tasks 4-7 failed. A controller then
  // journalled `submitting r1` (tasks 4-7 at attempt 2, 2 elements), ran sbatch (job 600) and was SIGKILLed before the
  // journal said `submitted`. Job 600 ran: its elements claimed blocks 0.0 0.1 1.0 1.1 of claims/r1/ and recorded
  // tasks 4, 5, 6 failed and 7 done at attempt 2. It then left the queue (MinJobAge; no accounting), so the next
  // controller cannot find it by name. Tasks 4, 5, 6 are owed attempt 3.
  const p = slurmPlan({ array: { bundle: 2, parallel: 1, throttle: 50, steal: true }, retries: 2 }, 8, 2);
  const root = t.testdir();
  const layout = new EnsembleLayout(root);
  mkdirSync(layout.resultsDir, { recursive: true });
  mkdirSync(layout.planDir, { recursive: true });
  writeFileSync(layout.recordFile('e0-a1-500_0'), [0, 1, 2, 3].map((i) => line(rec(i, 1, 'done', `500_${i >> 1}`))).join('') + [4, 5, 6, 7].map((i) => line(rec(i, 1, 'failed', `500_${i >> 1}`))).join(''));
  writeFileSync(layout.recordFile('rr1-tasks-e0-600_0'), line(rec(4, 2, 'failed', '600_0')) + line(rec(5, 2, 'failed', '600_0')));
  writeFileSync(layout.recordFile('rr1-tasks-e1-600_1'), line(rec(6, 2, 'failed', '600_1')) + line(rec(7, 2, 'done', '600_1')));
  writeFileSync(join(layout.planDir, 'r1-tasks.json'), JSON.stringify([4, 5, 6, 7]));
  mkdirSync(layout.claimsDir('r1'), { recursive: true });
  for (const [e, b] of [[0, 0], [0, 1], [1, 0], [1, 1]]) writeFileSync(layout.claimFile('r1', `${e}.${b}`), formatClaim({ element: e, by: `600_${e}` }));
  writeFileSync(layout.journal, [
    { event: 'submitted', run: 'r0', chunk: '0000', job_id: '500', elements: 4, offset: 0, attempt: 1 },
    { event: 'submitting', chunk: 'r1', elements: 2, attempt: 2, tasks_file: 'plan/r1-tasks.json' },
  ].map((e) => JSON.stringify(e) + '\n').join(''));

  // a scripted Slurm without accounting; a submitted job's elements run at once as the task wrapper would (claims included)
  const jobs = new Map<string, number>();
  let nextJob = 700;
  const transport = scriptedSlurm('none', (argv) => {
    if (programOf(argv) === 'sbatch') {
      const script = argv.at(-1) as string;
      const label = /chunk-(\w+)\.sbatch$/.exec(script)?.[1] as string;
      const text = readFileSync(script, 'utf8');
      const elements = Number(/--elements (\d+)/.exec(text)?.[1] ?? /--array=0-(\d+)/.exec(text)?.[1]) || 1;
      const attempt = Number(/--attempt (\d+)/.exec(text)?.[1]);
      const list = JSON.parse(readFileSync(join(layout.planDir, `${label}-tasks.json`), 'utf8')) as number[];
      const job = String(nextJob++);
      jobs.set(job, elements);
      for (let e = 0; e < elements; e++) {
        const ids = [...claimedTasks({ dir: layout.claimsDir(label), element: e, first: 0, count: elements, sliceOf: (k) => list.slice(k * 2, k * 2 + 2), bundle: 2, by: `${job}_${e}` })];
        writeFileSync(layout.recordFile(`r${label}-tasks-e${e}-${job}_${e}`), ids.map((i) => line(rec(i, attempt, 'done', `${job}_${e}`))).join(''));
      }
      return ok(`${job}\n`);
    }
    if (programOf(argv) === 'squeue') {
      const out: string[] = [];
      for (const [job, n] of jobs) for (let e = 0; e < n; e++) out.push(`${job}_${e}|${job}${e}|${job}|${e}|COMPLETED|None|vm`);
      return ok(out.join('\n') + '\n');
    }
    throw new Error(`unexpected ${argv.join(' ')}`);
  });
  const run = new BatchRun(layout, p, slurmScheduler, transport, followFinals(layout.resultsDir, p.tasks), {
    runId: 'r2', policy: retryPolicy(2, undefined), tickMs: { min: 20, max: 100, unknown: 100 },
  });
  await run.run();
  const finals = selectFinal(allRecords(layout.resultsDir));
  t.same([4, 5, 6].map((i) => [i, finals.get(i)?.attempt, finals.get(i)?.status, finals.get(i)?.reason ?? null]), [[4, 3, 'done', null], [5, 3, 'done', null], [6, 3, 'done', null]],
    'tasks 4-6 ran their attempt 3 (not `lost` for want of a claim an earlier job of the same label made)');
});
