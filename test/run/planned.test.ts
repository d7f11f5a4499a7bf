// runPlanned's progress: tasks owed a retry are counted as work to do, and the ETA is never 0 while work remains.
import t from 'tap';
import { readConfig } from '../../src/config/load.js';
import { writePlan } from '../../src/plan/write.js';
import { runPlanned } from '../../src/run/planned.js';
import type { Progress } from '../../src/run/types.js';
import { readFileSync } from 'node:fs';
import { behaveConfig, writeConfig } from '../helpers/ensemble.js';

t.test('a flaky task shows as retrying, not failed, until its second attempt is in', async (t) => {
  const dir = t.testdir();
  const path = writeConfig(dir, behaveConfig({ name: 'flaky', modes: ['flaky', 'ok'], xs: [1, 2], executor: 'executor: { type: local, workers: 1, retries: 1 }' }));
  const config = await readConfig(path);
  const { layout, plan, created } = await writePlan(config, readFileSync(path, 'utf8'));
  const seen: Progress[] = [];
  const result = await runPlanned(layout, plan, created, { onProgress: (p) => seen.push({ ...p }) });
  t.equal(result.done, 4, 'every task ends done: the flaky ones on their second attempt');
  t.equal(result.failed, 0);
  t.ok(seen.some((p) => p.retrying > 0), 'a failed first attempt owed a retry is reported as retrying');
  t.notOk(seen.some((p) => p.failed > 0), 'it is never counted as failed');
  const early = seen.filter((p) => p.pending + p.retrying > 0 && p.eta_s !== null);
  t.ok(early.length > 0, 'progress was reported while work remained');
  t.ok(early.every((p) => (p.eta_s as number) >= 1), 'the ETA is at least 1 s while tasks are pending or retrying');
  const last = seen[seen.length - 1];
  t.match(last, { done: 4, failed: 0, pending: 0, retrying: 0, eta_s: 0 }, 'the last report: all done, ETA 0');
});
