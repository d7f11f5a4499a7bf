// Which attempt each task is owed: reason kinds, the retry policy, automatic and requested retries, upstream failures.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { CANCELLED, FAILURE_KINDS, STORAGE_FAILED, UPSTREAM_FAILED, owedAttempt, owedItems, reasonKind, retryPolicy } from '../../src/records/owed.js';
import type { TaskRecord } from '../../src/records/record.js';
import { taskRecord } from '../helpers/records.js';

const failed = (task: number, attempt: number, reason: string): TaskRecord =>
  taskRecord(task, { attempt, status: 'failed', reason, exit_code: null, result: null });

t.test('reasonKind: the category a reason starts with', async (t) => {
  t.equal(reasonKind(null), '');
  t.equal(reasonKind(''), '');
  t.equal(reasonKind('exit code 3'), 'exit code');
  t.equal(reasonKind('exit code 137: killed'), 'exit code', 'exit codes are one kind, whatever follows');
  t.equal(reasonKind('killed by signal SIGSEGV'), 'signal');
  t.equal(reasonKind('timeout: exceeded the task time limit of 8 s'), 'timeout');
  t.equal(reasonKind('out of memory: the job exceeded --mem'), 'out of memory');
  t.equal(reasonKind('node failure: n12 went down'), 'node failure');
  t.equal(reasonKind(`${UPSTREAM_FAILED}: A task 2: exit code 3`), UPSTREAM_FAILED, 'the first colon ends the kind');
  t.equal(reasonKind('lost'), 'lost', 'a reason without a colon is its own kind');
});

t.test('retryPolicy: retries, the kinds retried (all when absent), requests with the later winning', async (t) => {
  const all = retryPolicy(2, undefined);
  t.equal(all.retries, 2);
  t.equal(all.on, null);
  t.equal(all.requested.size, 0);
  const some = retryPolicy(1, ['timeout', 'node failure'], [[4, 1], [7, 2], [4, 3]]);
  t.same([...(some.on ?? [])].sort(), ['node failure', 'timeout']);
  t.same([...some.requested], [[4, 3], [7, 2]]);
  t.same([...retryPolicy(0, []).on!], [], 'an empty retry_on retries nothing automatically');
});

t.test('owedAttempt: a task without a record is owed its first attempt; a done task nothing', async (t) => {
  const policy = retryPolicy(3, undefined);
  t.equal(owedAttempt(undefined, policy), 1);
  t.equal(owedAttempt(taskRecord(0), policy), null);
  t.equal(owedAttempt(taskRecord(0, { attempt: 2 }), policy), null);
});

t.test('owedAttempt: automatic retries up to `retries` extra attempts', async (t) => {
  t.equal(owedAttempt(failed(0, 1, 'exit code 1'), retryPolicy(0, undefined)), null, 'no retries');
  const two = retryPolicy(2, undefined);
  t.equal(owedAttempt(failed(0, 1, 'exit code 1'), two), 2);
  t.equal(owedAttempt(failed(0, 2, 'exit code 1'), two), 3);
  t.equal(owedAttempt(failed(0, 3, 'exit code 1'), two), null, 'attempt 3 was the last of 1 + 2');
});

t.test('owedAttempt: retry_on limits the automatic retries to its kinds', async (t) => {
  const policy = retryPolicy(1, ['timeout', 'signal']);
  t.equal(owedAttempt(failed(0, 1, 'timeout: exceeded 60 s'), policy), 2);
  t.equal(owedAttempt(failed(0, 1, 'killed by signal SIGKILL'), policy), 2);
  t.equal(owedAttempt(failed(0, 1, 'exit code 3'), policy), null);
  t.equal(owedAttempt(failed(0, 1, 'no result: no result.json'), policy), null);
});

t.test('owedAttempt: an interrupted attempt is owed the next one, whatever the retry policy', async (t) => {
  const rec = taskRecord(2, { attempt: 1, status: 'interrupted', reason: 'interrupted: the controller stopped', result: null });
  t.equal(owedAttempt(rec, retryPolicy(0, [])), 2, 'no retries, none retried: it is no failure');
  t.equal(owedAttempt({ ...rec, attempt: 3 }, retryPolicy(1, undefined)), 4);
});

t.test('owedAttempt: a task whose record the filesystem refused is owed the next attempt, whatever the retry policy', async (t) => {
  const rec = failed(4, 2, `${STORAGE_FAILED}: cannot write /e/results/x.ndjson: no space left on device (ENOSPC)`);
  t.equal(owedAttempt(rec, retryPolicy(0, [])), 3);
});

t.test('owedAttempt: a task whose upstream failed is not retried automatically', async (t) => {
  const rec = failed(5, 1, `${UPSTREAM_FAILED}: coarse task 2: exit code 3`);
  t.equal(owedAttempt(rec, retryPolicy(3, undefined)), null);
  t.equal(owedAttempt(rec, retryPolicy(3, [UPSTREAM_FAILED])), null, 'not even when its kind is listed');
  t.equal(owedAttempt(rec, retryPolicy(0, undefined, [[5, 1]])), 2, 'but a requested retry runs it again');
});

t.test('owedAttempt: a cancelled task is never retried automatically, whatever retries and retry_on say', async (t) => {
  const rec = failed(6, 1, 'cancelled: the array element was cancelled (Slurm CANCELLED by 0)');
  t.equal(reasonKind(rec.reason), CANCELLED);
  t.equal(owedAttempt(rec, retryPolicy(2, undefined)), null, 'retries: 2, every kind');
  t.equal(owedAttempt(rec, retryPolicy(2, [CANCELLED, 'timeout'])), null, 'not even when retry_on lists it');
  t.equal(owedAttempt(failed(6, 1, 'cancelled: arrayflow cancel stopped the ensemble before this attempt started'), retryPolicy(3, undefined)), null);
  t.equal(owedAttempt(rec, retryPolicy(0, undefined, [[6, 1]])), 2, '`arrayflow retry --failed --reason cancelled` runs it again');
  t.equal(owedAttempt(failed(6, 2, 'cancelled: by hand'), retryPolicy(2, undefined, [[6, 1]])), null, 'once: its retry was cancelled too');
  const finals = new Map<number, TaskRecord>([[0, rec], [1, failed(1, 1, 'timeout: 60 s')]]);
  t.same(owedItems(2, finals, retryPolicy(2, undefined)), [{ task: 1, attempt: 2 }], 'owedItems: the timeout is retried, the cancel not');
});

t.test('owedAttempt: a requested retry adds one attempt after exactly the attempt it names', async (t) => {
  const none = (requests: Array<[number, number]>) => retryPolicy(0, undefined, requests);
  t.equal(owedAttempt(failed(3, 1, 'exit code 1'), none([[3, 1]])), 2);
  t.equal(owedAttempt(failed(3, 4, 'exit code 1'), none([[3, 4]])), 5, 'beyond the automatic retries');
  t.equal(owedAttempt(failed(3, 2, 'exit code 1'), none([[3, 1]])), null, 'a request already served (attempt 2 ran)');
  t.equal(owedAttempt(failed(3, 1, 'exit code 1'), none([[4, 1]])), null, 'a request for another task');
  t.equal(owedAttempt(taskRecord(3), none([[3, 1]])), null, 'a done task is not rerun');
  t.equal(owedAttempt(failed(3, 1, 'exit code 1'), retryPolicy(0, undefined, [[3, 1], [3, 2]])), null, 'the later request replaced it');
});

t.test('owedItems: every task of the plan owed an attempt, in task order', async (t) => {
  const finals = new Map<number, TaskRecord>([
    [1, taskRecord(1)],
    [2, failed(2, 1, 'timeout: 60 s')],
    [3, failed(3, 1, `${UPSTREAM_FAILED}: A task 0: exit code 1`)],
    [4, failed(4, 2, 'exit code 9')],
    [5, failed(5, 1, 'exit code 9')],
    [9, failed(9, 1, 'exit code 9')],
  ]);
  const policy = retryPolicy(1, undefined, [[4, 2]]);
  t.same(owedItems(7, finals, policy), [
    { task: 0, attempt: 1 },
    { task: 2, attempt: 2 },
    { task: 4, attempt: 3 },
    { task: 5, attempt: 2 },
    { task: 6, attempt: 1 },
  ], 'task 9 is beyond the plan');
  t.same(owedItems(0, finals, policy), []);
});

t.test('the failure kinds retry --reason checks against are the config schema\'s retry_on kinds', async (t) => {
  const schema = JSON.parse(readFileSync(new URL('../../configs/arrayflow.schema.json', import.meta.url), 'utf8')) as { $defs?: unknown };
  const found: string[][] = [];
  const walk = (node: unknown, key: string): void => {
    if (node === null || typeof node !== 'object') return;
    if (key === 'retry_on') found.push((node as { items: { enum: string[] } }).items.enum);
    for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(schema, '');
  t.ok(found.length > 0, 'retry_on is in the schema');
  for (const kinds of found) t.same(kinds, FAILURE_KINDS);
});
