import t from 'tap';
import type { Table } from '../../src/collect/arrow.js';
import { buildDataset, METADATA_COLUMNS, PLACE_COLUMNS } from '../../src/collect/build-dataset.js';
import type { TaskRecord } from '../../src/records/record.js';
import type { TaskRow } from '../../src/plan/tasks.js';
import { doneRecord, failedRecord } from './fixtures/ensemble.js';

const types = (table: Table): Record<string, string> =>
  Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
const col = (table: Table, name: string): unknown[] => {
  const v = table.getChild(name);
  if (v === null) throw new Error(`no column ${name}`);
  return Array.from({ length: v.length }, (_, i) => v.get(i));
};
const finalsOf = (...rs: TaskRecord[]): Map<number, TaskRecord> => new Map(rs.map((r) => [r.task, r]));
const row = (id: number, params: TaskRow['params'], batch = 0): TaskRow => ({ id, batch, seed: id, params });
const done = (task: number, result: TaskRecord['result']): TaskRecord => ({ ...doneRecord(task), result });

t.test('column order: ids, design place, params, results in first-seen order, metadata', async (t) => {
  const tasks = [row(0, { b: 1, a: 0.5 }), row(1, { b: 2, a: 1.5 }, 1), row(2, { b: 3, a: 2 }, 1)];
  tasks.forEach((r, i) => Object.assign(r, { point: [4, 4, 0][i], replicate: [0, 1, 2][i] }));
  const finals = finalsOf(done(2, { z: 1, y: 2 }), done(0, { y: 1, x: 3 }), done(1, { w: 1 }));
  const table = buildDataset(tasks, finals, ['a', 'b']);
  t.same(table.schema.fields.map((f) => f.name), ['task_id', 'batch', ...PLACE_COLUMNS, 'a', 'b', 'y', 'x', 'w', 'z', ...METADATA_COLUMNS]);
  t.same(col(table, 'task_id'), [0, 1, 2]);
  t.same(col(table, 'batch'), [0, 1, 1]);
  t.same(col(table, 'point'), [4, 4, 0], 'the rows\' points');
  t.same(col(table, 'replicate'), [0, 1, 2]);
  t.same(col(buildDataset([row(0, {})], finalsOf(doneRecord(0)), []), 'point'), [null], 'a row not placed: null');
});

t.test('type inference for params and results; missing -> null', async (t) => {
  const tasks = [row(0, { i: 1, f: 0.5, s: 'a', flag: true, mixed: 1 }), row(1, { i: 2, f: 2, s: 'b', flag: false, mixed: 'two' })];
  const finals = finalsOf(
    done(0, { num: 1, int_like: 3, str: 'x', bool: true, mix: 1, only0: 5, nul: null }),
    done(1, { num: 2.25, int_like: 4, str: 'y,"z"', bool: false, mix: 'one', nul: null }),
  );
  const table = buildDataset(tasks, finals, ['i', 'f', 's', 'flag', 'mixed', 'absent']);
  const ty = types(table);
  t.match(ty, {
    task_id: 'Int32',
    batch: 'Int32',
    i: 'Int64',
    f: 'Float64',
    s: 'Utf8',
    flag: 'Bool',
    mixed: 'Utf8',
    absent: 'Utf8',
    num: 'Float64',
    int_like: 'Float64',
    str: 'Utf8',
    bool: 'Bool',
    mix: 'Utf8',
    only0: 'Float64',
    nul: 'Utf8',
    status: 'Utf8',
    reason: 'Utf8',
    exit_code: 'Int32',
    signal: 'Utf8',
    attempt: 'Int32',
    host: 'Utf8',
    job_id: 'Utf8',
    start_time: 'Timestamp<MILLISECOND, UTC>',
    end_time: 'Timestamp<MILLISECOND, UTC>',
    duration_s: 'Float64',
  });
  t.same(col(table, 'i'), [1n, 2n]);
  t.same(col(table, 'f'), [0.5, 2]);
  t.same(col(table, 'flag'), [true, false]);
  t.same(col(table, 'mixed'), ['1', 'two'], 'non-strings JSON-encoded');
  t.same(col(table, 'absent'), [null, null]);
  t.same(col(table, 'mix'), ['1', 'one']);
  t.same(col(table, 'only0'), [5, null], 'a task without the key gets null');
  t.same(col(table, 'nul'), [null, null]);
  t.same(col(table, 'str'), ['x', 'y,"z"']);
  t.same(col(table, 'bool'), [true, false]);
});

t.test('non-scalar and non-ASCII result values are JSON text / kept intact', async (t) => {
  const table = buildDataset(
    [row(0, {}), row(1, {}), row(2, {})],
    finalsOf(done(0, { v: 'é' }), done(1, { v: [1, 2] } as never), done(2, { v: '' })),
    [],
  );
  t.same(col(table, 'v'), ['é', '[1,2]', '']);
});

t.test('name collisions: result_ prefix for results, param_ for params named like metadata', async (t) => {
  const tasks = [row(0, { alpha: 1, host: 'h' })];
  const finals = finalsOf(done(0, { alpha: 10, status: 'ok', result_status: 'raw', task_id: 7, batch: 2, x: 1 }));
  const table = buildDataset(tasks, finals, ['alpha', 'host']);
  t.same(table.schema.fields.map((f) => f.name), [
    'task_id',
    'batch',
    ...PLACE_COLUMNS,
    'alpha',
    'param_host',
    'result_alpha',
    'result_result_status',
    'result_status',
    'result_task_id',
    'result_batch',
    'x',
    ...METADATA_COLUMNS,
  ]);
  t.same(col(table, 'result_alpha'), [10]);
  t.same(col(table, 'result_result_status'), ['ok']);
  t.same(col(table, 'result_status'), ['raw']);
  t.same(col(table, 'result_task_id'), [7]);
  t.same(col(table, 'param_host'), ['h']);
  t.same(col(table, 'status'), ['done']);
  t.equal(new Set(table.schema.fields.map((f) => f.name)).size, table.numCols, 'names are unique');
  const placed = buildDataset([row(0, { point: 1, replicate: 'r' })], finalsOf(doneRecord(0)), ['point', 'replicate']);
  t.same(placed.schema.fields.slice(2, 6).map((f) => f.name), ['point', 'replicate', 'param_point', 'param_replicate'], 'parameters named like the place columns');
});

t.test('a failed row has nulls for results and carries its reason; metadata values', async (t) => {
  const tasks = [row(0, { a: 1 }), row(1, { a: 2 }), row(2, { a: 3 })];
  const fail = failedRecord(1, 'timeout: time limit', {
    exit_code: null,
    signal: 'SIGKILL',
    attempt: 2,
    job_id: null,
    result: { x: 99 },
  });
  const table = buildDataset(tasks, finalsOf(doneRecord(0), fail), ['a']);
  t.equal(table.numRows, 2, 'task 2 has no final record');
  t.same(col(table, 'r0'), [doneRecord(0).result!.r0, null]);
  t.same(col(table, 'label'), ['run-0', null]);
  t.same(col(table, 'status'), ['done', 'failed']);
  t.same(col(table, 'reason'), [null, 'timeout: time limit']);
  t.same(col(table, 'exit_code'), [0, null]);
  t.same(col(table, 'signal'), [null, 'SIGKILL']);
  t.same(col(table, 'attempt'), [1, 2]);
  t.same(col(table, 'host'), ['node0', 'node1']);
  t.same(col(table, 'job_id'), ['1000_0', null]);
  t.same(col(table, 'start_time'), [Date.parse(doneRecord(0).start), Date.parse(fail.start)]);
  t.same(col(table, 'end_time'), [Date.parse(doneRecord(0).end), Date.parse(fail.end)]);
  t.same(col(table, 'duration_s'), [doneRecord(0).duration_s, fail.duration_s]);
});

t.test('done rows get a null reason even if the record carries one; bad timestamps become null', async (t) => {
  const r = { ...doneRecord(0), reason: 'stale', start: 'yesterday', end: '2025-01-01T00:00:00Z' };
  const table = buildDataset([row(0, {})], finalsOf(r), []);
  t.same(col(table, 'reason'), [null]);
  t.same(col(table, 'start_time'), [null]);
  t.same(col(table, 'end_time'), [Date.UTC(2025, 0, 1)]);
  const zones = ['2025-01-01T01:00:00+01:00', '2025-01-01T00:00:00', '2025-01-01', '2025-01-01T00:00:00.000z'];
  const z = buildDataset(
    zones.map((_, i) => row(i, {})),
    finalsOf(...zones.map((start, i) => ({ ...doneRecord(i), start }))),
    [],
  );
  t.same(col(z, 'start_time'), zones.map(() => Date.UTC(2025, 0, 1)), 'a time without a zone is UTC, whatever TZ says');
});

t.test('includePending: every task, pending ones with nulls', async (t) => {
  const tasks = [row(0, { a: 1 }), row(1, { a: 2 }), row(2, { a: 3 })];
  const table = buildDataset(tasks, finalsOf(done(1, { x: 1 })), ['a'], { includePending: true });
  t.same(col(table, 'task_id'), [0, 1, 2]);
  t.same(col(table, 'status'), ['pending', 'done', 'pending']);
  t.same(col(table, 'attempt'), [null, 1, null]);
  t.same(col(table, 'x'), [null, 1, null]);
  t.same(col(table, 'a'), [1n, 2n, 3n], 'params are known for pending tasks');
});

t.test('an interrupted task has no row (it is pending); with includePending its row says pending', async (t) => {
  const tasks = [row(0, { a: 1 }), row(1, { a: 2 })];
  const interrupted: TaskRecord = { ...failedRecord(1, 'interrupted: the controller died'), status: 'interrupted' };
  const finals = finalsOf(done(0, { y: 1 }), interrupted);
  t.same(col(buildDataset(tasks, finals, ['a']), 'task_id'), [0]);
  const all = buildDataset(tasks, finals, ['a'], { includePending: true });
  t.same(col(all, 'status'), ['done', 'pending']);
  t.same(col(all, 'reason'), [null, null]);
});

t.test('rows come out in task-id order; finals for unknown tasks are ignored', async (t) => {
  const tasks = [row(2, {}), row(0, {}), row(1, {})];
  const table = buildDataset(tasks, finalsOf(doneRecord(1), doneRecord(2), doneRecord(0), doneRecord(7)), []);
  t.same(col(table, 'task_id'), [0, 1, 2]);
});

t.test('empty: no rows, but the fixed columns are there', async (t) => {
  const table = buildDataset([row(0, { a: 1 })], new Map(), ['a']);
  t.equal(table.numRows, 0);
  t.same(table.schema.fields.map((f) => f.name), ['task_id', 'batch', ...PLACE_COLUMNS, 'a', ...METADATA_COLUMNS]);
});

t.test('int64 params beyond 32 bits and negative values are exact', async (t) => {
  const big = 2 ** 40 + 3;
  const table = buildDataset([row(0, { n: big }), row(1, { n: -5 })], finalsOf(doneRecord(0), doneRecord(1)), ['n']);
  t.same(col(table, 'n'), [BigInt(big), -5n]);
});

t.test('task_seed: each row carries the seed its task ran with, pending rows too (reproduce needs it)', async (t) => {
  const tasks: TaskRow[] = [
    { id: 0, batch: 0, seed: 4294967295, params: { a: 1 } },
    { id: 1, batch: 0, seed: 17, params: { a: 2 } },
  ];
  const table = buildDataset(tasks, finalsOf(done(0, { y: 1 })), ['a'], { includePending: true });
  t.equal(types(table).task_seed, 'Int64');
  t.same(col(table, 'task_seed'), [4294967295n, 17n]);
  t.same(col(table, 'status'), ['done', 'pending']);
});
