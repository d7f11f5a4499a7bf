// `collect --follow`: isComplete (when following may stop), and the CLI following a run (inotify) or records appended by hand (polling).
import t from 'tap';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { isComplete } from '../../src/collect/follow.js';
import { readPartsCheckpoint } from '../../src/collect/parts.js';
import { retryPolicy } from '../../src/records/owed.js';
import { readDatasetParquet } from '../../src/collect/parquet.js';
import type { TaskRecord } from '../../src/records/record.js';
import { selectFinal } from '../../src/records/select-final.js';
import { behaveConfig, cli, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { allRecords, planned, sleep, until } from '../helpers/parts.js';
import { recordLine, taskRecord } from '../helpers/records.js';

t.test('isComplete: every task has a final record; while a controller runs, none may still change', async (t) => {
  // each record below is its task's new final one
  const finals = new Map<number, TaskRecord>();
  const s = { add: (rs: TaskRecord[]) => rs.forEach((r) => finals.set(r.task, r)) };
  // what the live dataset answers
  const live = {
    get ended() {
      return [...finals.values()].filter((r) => r.status !== 'interrupted').length;
    },
    failedFinals: async () => [...finals.values()].filter((r) => r.status === 'failed'),
  };
  s.add([taskRecord(0), taskRecord(1, { status: 'failed', reason: 'exit code 3', result: null })]);
  t.notOk(await isComplete(live, 3, null), 'task 2 has no record');
  s.add([taskRecord(2, { status: 'failed', reason: 'timeout: 60 s', result: null })]);
  t.ok(await isComplete(live, 3, null), 'no controller: nothing will change');
  t.notOk(await isComplete(live, 3, retryPolicy(1, ['timeout'])), 'a controller runs and owes task 2 a retry (retry_on: timeout)');
  t.notOk(await isComplete(live, 3, retryPolicy(1, ['timeout'], [[1, 1]])), '... and task 1 one asked for by hand');
  s.add([taskRecord(2, { attempt: 2 })]);
  t.ok(await isComplete(live, 3, retryPolicy(1, ['timeout'])), 'exit code 3 is not retried automatically under retry_on');
  s.add([taskRecord(0, { status: 'failed', reason: 'terminated: the task wrapper received SIGTERM', attempt: 2, result: null })]);
  t.notOk(await isComplete(live, 3, retryPolicy(0, ['timeout'])), 'a terminated record waits for the scheduler');
});

t.test('collect --follow on an ensemble being run (inotify): rows committed within ~1 s, then compacted', async (t) => {
  const dir = t.testdir();
  const xs = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2];
  const config = writeConfig(dir, behaveConfig({ modes: ['sleep'], xs, executor: 'executor: { type: local, workers: 3 }' }));
  t.equal((await runCli(['plan', config])).exitCode, 0);
  const ens = join(dir, 'ens');
  const follow = execa(process.execPath, [cli, 'collect', ens, '--follow'], { reject: false, env: { ARRAYFLOW_WATCH: 'inotify' }, stdin: 'ignore' });
  let out = '';
  follow.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.ok(await until(() => out.includes('following'), 30_000), 'collect --follow started');
  t.match(out, /inotify/);
  const run = runCli(['run', config, '--no-progress']);
  // watch the committed parts: when did each task's row first appear?
  const seen = new Map<number, number>();
  const readParts = new Set<string>();
  const watcher = (async () => {
    while (seen.size < xs.length && follow.exitCode === null) {
      const cp = await readPartsCheckpoint(new (await import('../../src/layout/layout.js')).EnsembleLayout(ens));
      for (const p of cp?.parts ?? []) {
        if (readParts.has(p.name)) continue;
        readParts.add(p.name);
        const now = Date.now();
        try {
          const ids = (await readDatasetParquet(join(ens, 'dataset', `${p.name}.parquet`))).getChild('task_id')!.toArray() as Int32Array;
          for (const id of ids) if (!seen.has(id)) seen.set(id, now);
        } catch {
          readParts.delete(p.name); // merged away meanwhile: its rows are in a newer part
        }
      }
      await sleep(15);
    }
  })();
  const r = await run;
  t.equal(r.exitCode, 0, r.stderr);
  const f = await follow;
  await watcher;
  t.equal(f.exitCode, 0, f.stderr);
  t.match(f.stdout, /complete: 6 rows \(6 done, 0 failed, 0 pending\)/);
  t.notOk(existsSync(join(ens, 'dataset')), 'parts removed after compaction');
  const rows = await duckQuery(`select task_id, count(*)::int as n from read_parquet('${join(ens, 'dataset.parquet')}') group by task_id order by task_id`);
  t.same(rows.map((x) => x.n), Array(6).fill(1), 'compacted: each task once');
  const finals = selectFinal(allRecords(join(ens, 'results')));
  const lags = [...finals.values()].map((rec) => (seen.get(rec.task) ?? Infinity) - Date.parse(rec.end)).sort((a, b) => a - b);
  t.comment(`record -> committed part latency (inotify): ${lags.join(', ')} ms`);
  t.equal(seen.size, 6, 'every row was seen in a committed part before compaction');
  t.ok(lags[3] < 1000, `half the rows committed within ${lags[3]} ms of their record`);
  t.ok(lags[5] < 2500, `every row committed within ${lags[5]} ms of its record (target ~1 s; generous for a loaded host)`);
});

t.test('collect --follow with polling forced: rows still arrive, and it exits when the last task has its row', async (t) => {
  const { ens, results } = await planned(t, [1, 2, 3, 4, 5, 6]);
  const follow = execa(process.execPath, [cli, 'collect', ens, '--follow'], {
    reject: false,
    env: { ARRAYFLOW_WATCH: 'poll', ARRAYFLOW_POLL_MS: '200' },
    stdin: 'ignore',
  });
  let out = '';
  follow.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.ok(await until(() => out.includes('following'), 30_000), 'collect --follow started');
  t.match(out, /polling every 200 ms \(ARRAYFLOW_WATCH=poll\)/);
  const { EnsembleLayout } = await import('../../src/layout/layout.js');
  const layout = new EnsembleLayout(ens);
  const lags: number[] = [];
  let appended = 0;
  for (let i = 0; i < 6; i++) {
    const at = Date.now();
    const text = recordLine(taskRecord(i));
    appendFileSync(join(results, `e${i % 2}.ndjson`), text);
    appended += Buffer.byteLength(text);
    const ok = await until(async () => {
      const cp = await readPartsCheckpoint(layout);
      return cp !== null && Object.values(cp.offsets).reduce((a, b) => a + b, 0) === appended;
    }, 5000);
    if (i < 5) {
      t.ok(ok, `record ${i} committed`);
      lags.push(Date.now() - at);
    }
  }
  const f = await follow;
  t.equal(f.exitCode, 0, f.stderr);
  t.match(f.stdout, /complete: 6 rows/);
  lags.sort((a, b) => a - b);
  t.comment(`record -> committed part latency (polling every 200 ms): median ${lags[2]} ms, max ${lags[4]} ms`);
  t.ok(lags[4] < 2000);
});
