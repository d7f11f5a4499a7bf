// The local executor at a few hundred tiny tasks: one record file per worker (never one per task), one row per task.
import t from 'tap';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { runCli, writeConfig } from '../helpers/ensemble.js';

t.test('600 tiny tasks on 2 workers: 2 record files, every task exactly once', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(
    dir,
    `name: many
ensemble_dir: ens
command: [sh, -c, 'echo "{{\\"v\\": $ARRAYFLOW_TASK_ID}}" > result.json']
parameters:
  x: { int: [1, 600] }
sampling: { method: grid }
executor: { workers: 2, array: { bundle: 100 } }
`,
  );
  const r = await runCli(['run', config, '--no-progress']);
  t.equal(r.exitCode, 0, r.stderr);
  t.match(r.stdout, /600 done, 0 failed, 0 pending/);
  const files = readdirSync(join(dir, 'ens', 'results'));
  t.equal(files.length, 2, `record files: ${files.join(', ')}`);
  const { records, bad } = await readRecordFiles(join(dir, 'ens', 'results'));
  t.equal(bad.length, 0);
  t.equal(records.length, 600, 'one record per task, no duplicates');
  const finals = selectFinal(records);
  t.equal(finals.size, 600);
  t.equal(finals.get(599)?.result?.v, 599, 'the result of the last task');
});
