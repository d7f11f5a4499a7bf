// The ensemble directory on a small tmpfs: filled up mid-run, the controller stops with one sentence naming the file
// (exit 4) and no record is torn; with room again `resume` ends with one row per task; read-only, a collection says so.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectEnsembleDir } from '../../src/run/collect.js';
import { readRecordFiles } from '../../src/records/read.js';
import { dropTapHooks, duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';
import { fillUp, mountTmpfs, remount } from '../helpers/tmpfs.js';

dropTapHooks();

t.test('ENOSPC mid-run: exit 4 naming the file, records intact; resume after freeing: exactly once; EROFS: a clear error', async (t) => {
  const fs = await mountTmpfs(t, '1m');
  if (fs === null) return;
  // one worker runs the tasks in id order: three quick ones, then one that sleeps while the test fills the disk; each
  // result is 8 KB, more than the room left in the last page of a record file once the disk is full
  writeFileSync(
    join(fs, 'sim.mjs'),
    `import { writeFileSync } from 'node:fs';
await new Promise((r) => setTimeout(r, Number(process.argv[2]) * 1000));
writeFileSync('result.json', JSON.stringify({ pad: 'x'.repeat(8192) }));
`,
  );
  const config = writeConfig(
    fs,
    `name: full
ensemble_dir: ens
command: [node, sim.mjs, "{x}"]
inputs: { copy: [sim.mjs] }
parameters:
  x: { values: [0.01, 0.02, 0.03, 2] }
sampling: { method: grid, seed: 7 }
executor: { type: local, workers: 1 }
`,
  );
  const ens = join(fs, 'ens');
  const results = join(ens, 'results');
  const run = runCli(['run', config, '--no-progress']);
  const done = async () => (existsSync(results) ? (await readRecordFiles(results)).records.filter((r) => r.status === 'done').length : 0);
  for (const deadline = Date.now() + 30_000; (await done()) < 3; await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error('the three quick tasks did not finish');
  }
  const filler = fillUp(fs);
  const first = await run;
  if (first.exitCode !== 4) t.comment(`${first.stdout}\n${first.stderr}`);
  t.equal(first.exitCode, 4, 'a refused write stops the controller with exit 4');
  const said = String(first.stderr).trim().split('\n');
  t.equal(said.length, 1, `one line: ${first.stderr}`);
  t.match(said[0], /^arrayflow: cannot write \/\S+: no space left on device \(ENOSPC\); nothing recorded is lost: make room \(or make it writable\), then run `arrayflow resume`$/);
  t.ok(said[0].includes(ens), 'the file named is in the ensemble directory');

  t.ok(said[0].includes(results), 'the file named is a record file: the node side could not write the record of task 3');

  const after = await readRecordFiles(results);
  t.same(after.bad, [], 'no torn or malformed record line');
  t.same(after.records.filter((r) => r.status === 'done').map((r) => r.task).sort(), [0, 1, 2], 'the recorded tasks are all still there');
  t.match(after.records.filter((r) => r.task === 3), [{ status: 'failed', reason: /^storage: cannot write \/\S+\.ndjson: no space left on device \(ENOSPC\)$/, result: null }], 'task 3 failed with the reason, in a short record');
  for (const name of readdirSync(results)) t.match(readFileSync(join(results, name), 'utf8'), /(^|\n)$/, `${name} ends with a whole line`);

  // still full: the controller's own first write (its lock) is refused, with the same kind of sentence
  const full = await runCli(['resume', ens, '--no-progress']);
  t.equal(full.exitCode, 4, full.stderr);
  t.match(full.stderr, new RegExp(`^arrayflow: cannot write ${ens}/\\S+: no space left on device \\(ENOSPC\\); `));

  unlinkSync(filler);
  const again = await runCli(['resume', ens, '--no-progress']);
  t.equal(again.exitCode, 0, `${again.stdout}\n${again.stderr}`);
  t.match(again.stdout, /4 done, 0 failed, 0 pending/);
  const rows = await duckQuery(`select task_id, status, attempt, runs from read_parquet('${join(ens, 'dataset.parquet')}') order by task_id`);
  const want = [0, 1, 2, 3].map((i) => [i, 'done', i === 3 ? 2 : 1, 1]);
  t.same(rows.map((r) => [r.task_id, r.status, r.attempt, r.runs]), want, 'one done row per task; task 3 ran again as its next attempt');

  await remount(fs, true);
  await t.rejects(collectEnsembleDir(ens), { name: 'StorageError', code: 'E_STORAGE', errno: 'EROFS', message: /^cannot write \/\S+: read-only file system \(EROFS\)$/ });
  await remount(fs, false);
});
