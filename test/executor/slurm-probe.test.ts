// The learned bundle on the real test Slurm: with no task time known, a probe of one task per slot (the cluster's CPUs
// from sinfo), then the rest bundled from the probe's times as listed arrays split at the chunk size; one row each.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { runEnsemble } from '../../src/run/run.js';
import type { Submission } from '../../src/executor/batch.js';
import { LocalTransport } from '../../src/transport/local.js';
import { behaveConfig, dropTapHooks, writeConfig } from '../helpers/ensemble.js';
import { requireSlurm } from '../helpers/slurm.js';

dropTapHooks();

t.test('no task time: 8 probe tasks (8 CPUs), then 32 in bundles of 4, chunks of 4 elements; 40 rows', async (t) => {
  if (!(await requireSlurm(t, { sacct: true }))) return;
  const dir = t.testdir();
  const cfg = writeConfig(
    dir,
    behaveConfig({
      name: 'probe',
      modes: ['ok'],
      xs: Array.from({ length: 40 }, (_, i) => i),
      executor: 'executor:\n  type: slurm\n  resources: { time: "00:05:00", mem: 200M }\n  array: { max_array_size: 4 }',
    }),
  );
  const transport = new LocalTransport();
  const submissions: Submission[] = [];
  const result = await runEnsemble(cfg, { transport, tickMs: { min: 300, max: 2000 }, onSubmit: (s) => submissions.push(s), onProgress: () => undefined });
  t.match(result, { done: 40, failed: 0, pending: 0 });

  const plan = JSON.parse(readFileSync(join(dir, 'ens', 'plan', 'plan.json'), 'utf8')) as { bundle: number; bundle_probe?: number };
  t.match(plan, { bundle: 1, bundle_probe: 8 }, "the test cluster's 8 CPUs (sinfo) are the probe");
  const learned = (await readJournal(join(dir, 'ens', 'journal.ndjson'))).filter((e) => e.event === 'bundle_learned');
  // 32 tasks after the probe over 8 slots: 4 each (a second-long task would need thousands to reach the 10-minute target)
  t.match(learned, [{ bundle: 4, reason: /^learned: bundle 4 for the 32 tasks after the probe: expected .* per task \(median of \d+ probe tasks\), .*8 slots \(cluster\)/ }]);
  t.same(
    submissions.map((s) => [s.label, s.offset, s.count, s.bundle ?? null]),
    [['0000', 0, 4, null], ['0001', 4, 4, null], ['r1', 0, 4, 4], ['r2', 0, 4, 4]],
    'the probe in two chunks of 4 elements, the rest in two listed arrays of 4 elements of 4 tasks',
  );
  t.equal(transport.calls.get('sbatch'), 4);
  const { records } = await readRecordFiles(join(dir, 'ens', 'results'));
  t.equal(records.length, 40, 'exactly one record per task');
  t.equal(selectFinal(records).size, 40);
  await transport.close();
});
