// `arrayflow show` after `extend`: the counts are the extended plan's and the records', the manifest stays as planned, and the tasks added since are listed.
import t from 'tap';
import { join } from 'node:path';
import { extend, show } from '../../src/index.js';
import { dropTapHooks, runCli, sobolConfig, writeConfig } from '../helpers/ensemble.js';

dropTapHooks();

t.test('show after extend --budget and --replicates: counts now, manifest as planned, tasks_added from the journal', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, sobolConfig(4));
  const ens = join(dir, 'ens');
  const shown = async () => JSON.parse((await runCli(['show', ens])).stdout);
  t.equal((await runCli(['run', config, '--no-progress'])).exitCode, 0);
  t.same((await shown()).tasks_added, [], 'nothing added yet');

  t.equal((await runCli(['extend', ens, '--budget', '8', '--no-progress'])).exitCode, 0);
  t.equal((await runCli(['extend', ens, '--replicates', '2', '--no-progress'])).exitCode, 0);
  const info = await shown();
  t.same(info.counts, { total: 16, done: 16, failed: 0, pending: 0 }, 'the counts of the extended plan');
  t.match(info.manifest, { tasks: 4, sampling: { samples: 4 } }, 'the manifest: the ensemble as planned');
  t.match(info.tasks_added, [
    { event: 'extended', from: 4, to: 8, ts: String },
    { event: 'replicated', replicates: 2, from: 8, to: 16, ts: String },
  ]);
  t.equal(info.tasks_added.length, 2);

  // extended but stopped before the new tasks ran: they count as pending
  await extend(ens, { budget: 10 }, { signal: AbortSignal.abort() });
  const stopped = await show(ens);
  t.same(stopped.counts, { total: 20, done: 16, failed: 0, pending: 4 }, 'the new tasks: pending until they run');
  t.match(stopped.tasks_added.at(-1), { event: 'extended', from: 16, to: 20 });
});
