// RecordFollower.poll when reading one record file fails (an I/O error: EIO, ESTALE on NFS, EMFILE) while others are being read.
import t from 'tap';
import { appendFileSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { FinalIndex } from '../../src/records/final-index.js';
import { recordLine, taskRecord } from '../helpers/records.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** node:fs/promises whose open of `failing` rejects once with EIO, and whose reads of `slow` take 50 ms each. */
function flakyFs(failing: string, slow: string) {
  let failed = false;
  return {
    ...fsp,
    async open(path: string, flags?: string) {
      if (path.endsWith(failing) && !failed) {
        failed = true;
        throw Object.assign(new Error(`EIO: i/o error, open '${path}'`), { code: 'EIO' });
      }
      const fh = await fsp.open(path, flags);
      if (!path.endsWith(slow)) return fh;
      return new Proxy(fh, {
        get(target, prop) {
          if (prop === 'read') {
            return async (...args: unknown[]) => {
              await sleep(50);
              return (target.read as (...a: unknown[]) => unknown).apply(target, args);
            };
          }
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}

t.test('a poll failing on one file: its reads of the other files stop with it (no later poll skips their lines or loses their changes)', async (t) => {
  const { RecordFollower } = await t.mockImport<typeof import('../../src/watch/records.js')>('../../src/watch/records.js', {
    'node:fs/promises': flakyFs('b.ndjson', 'a.ndjson'),
  });
  const results = join(t.testdir({ results: {} }), 'results');
  const n = 90;
  const line = (i: number) => recordLine(taskRecord(i, { start: '2025-01-01T00:00:00.000Z', end: '2025-01-01T00:00:01.000Z' }));
  // a.ndjson: records of tasks 0..29 (reads of it are slow); b.ndjson: one record, its first open fails
  let a = '';
  for (let i = 0; i < 30; i++) a += line(i);
  writeFileSync(join(results, 'a.ndjson'), a);
  writeFileSync(join(results, 'b.ndjson'), recordLine(taskRecord(n - 1)));
  const index = new FinalIndex(n, []);
  const f = new RecordFollower(results, { index });
  const changed = new Set<number>();
  const poll = async () => {
    for (const task of (await f.poll()).changed) changed.add(task);
  };
  await t.rejects(f.poll(), /EIO/, 'the first poll fails on b.ndjson');
  // the next poll (a live dataset retries on its next change) goes on at once
  await poll();
  await sleep(100);
  // the element writing a.ndjson goes on: tasks 30..88
  let more = '';
  for (let i = 30; i < n - 1; i++) more += line(i);
  appendFileSync(join(results, 'a.ndjson'), more);
  await poll();
  await f.close();
  t.equal(f.offsets()['a.ndjson'], Buffer.byteLength(a + more), 'a.ndjson consumed exactly to its end');
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !index.has(i));
  t.same(missing, [], 'every task located (collect --follow waits for the others forever)');
  t.equal(index.bad, 0, 'no line read from the middle of another');
  t.equal(changed.size, n, 'every located task was reported changed by some poll (else the live dataset never writes its row)');
});
