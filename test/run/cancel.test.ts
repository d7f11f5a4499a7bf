// `arrayflow cancel` of a local run: the running controller stops its simulations and records every unfinished task as
// cancelled (exit 3); resume then runs nothing, `retry --failed --reason cancelled` runs them again. A cancel with no
// controller running stops nothing later, nor does one that comes once every task has its row.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { exitStatus } from '../../src/cli/shared.js';
import { readRecordFiles } from '../../src/records/read.js';
import { selectFinal } from '../../src/records/select-final.js';
import { cancelEnsemble } from '../../src/run/cancel.js';
import { runEnsemble } from '../../src/run/run.js';
import { processAlive } from '../../src/util/process.js';
import { behaveConfig, runCli, writeConfig } from '../helpers/ensemble.js';

const startedLines = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);

t.test('local: cancel stops the running controller and its simulations; 6 cancelled rows; resume runs none, retry all', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'started.log');
  // sleepfirst: the first attempt sleeps a minute (until stopped), the next one succeeds at once
  const config = writeConfig(dir, behaveConfig({ name: 'cancellocal', modes: ['sleepfirst'], xs: [60, 61, 62, 63, 64, 65], executor: 'executor: { type: local, workers: 2, retries: 2 }' }));
  const ens = join(dir, 'ens');
  const env = { ...process.env, BEHAVE_LOG: log } as Record<string, string>;
  const run = runCli(['run', config, '--no-progress'], { env, timeout: 90_000 });
  for (let i = 0; i < 300 && startedLines(log).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  const sims = startedLines(log).map((l) => Number(l.split(' ')[1]));
  t.equal(sims.length, 2, 'two simulations run');

  const t0 = Date.now();
  const cancel = await runCli(['cancel', ens], { env });
  t.equal(cancel.exitCode, 0, cancel.stderr);
  t.match(cancel.stdout, /^stopping the controller running this ensemble \(pid \d+ on [^)]+\): it submits and starts nothing more/);
  const outcome = await run;
  t.equal(outcome.exitCode, 3, `${outcome.stdout}\n${outcome.stderr}`);
  t.ok(Date.now() - t0 < 15_000, `the controller ended ${Math.round((Date.now() - t0) / 1000)} s after the cancel`);
  t.match(outcome.stdout, /0 done, 6 failed, 0 pending/);
  t.match(outcome.stdout, /stopped by arrayflow cancel/);
  t.match(outcome.stdout, `6 tasks were cancelled; run them again with: arrayflow retry ${ens} --failed --reason cancelled`);
  t.same(sims.filter((pid) => processAlive(pid)), [], 'the running simulations were stopped');
  t.equal(startedLines(log).length, 2, 'no other task started');

  const finals = selectFinal((await readRecordFiles(join(ens, 'results'))).records);
  t.equal(finals.size, 6);
  const reasons = [...finals.values()].map((f) => `${f.attempt} ${f.reason}`);
  t.equal(reasons.filter((r) => r === '1 cancelled: arrayflow cancel stopped the ensemble while this attempt ran').length, 2, 'the two running: stopped while they ran');
  t.equal(reasons.filter((r) => r === '1 cancelled: arrayflow cancel stopped the ensemble before this attempt started').length, 4, 'the four queued: before they started');
  t.match((await readJournal(join(ens, 'journal.ndjson'))).filter((e) => e.event === 'cancelled'), [{ job_ids: [], run: String }]);

  const resumed = await runCli(['resume', ens, '--no-progress'], { env, timeout: 30_000 });
  t.equal(resumed.exitCode, 3, resumed.stderr);
  t.match(resumed.stdout, /resuming 6 tasks in .*; 0 to run/, 'a cancelled task is not retried automatically (retries: 2)');
  const again = await runCli(['retry', ens, '--failed', '--reason', 'cancelled', '--no-progress'], { env, timeout: 30_000 });
  t.equal(again.exitCode, 0, again.stderr);
  t.match(again.stdout, /retried 6 failed tasks[\s\S]*6 done, 0 failed, 0 pending/);
});

t.test('a cancel while no controller runs does not stop the next one (resume is asked for)', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ name: 'cancelidle', modes: ['ok'], xs: [1, 2, 3] }));
  const ens = join(dir, 'ens');
  await runCli(['plan', config]);
  t.same(await cancelEnsemble(ens), { jobIds: [], controller: null });
  t.match((await readJournal(join(ens, 'journal.ndjson'))).filter((e) => e.event === 'cancelled'), [{ job_ids: [] }], 'journalled by the command');
  const r = await runEnsemble(config);
  t.match(r, { done: 3, failed: 0 });
  t.notOk(r.stoppedByCancel);
});

t.test('a cancel once every task has its row (while the dataset is collected) stops nothing: done, exit 0', async (t) => {
  const dir = t.testdir();
  const config = writeConfig(dir, behaveConfig({ name: 'cancellate', modes: ['ok'], xs: [1, 2, 3, 4] }));
  let cancelled: ReturnType<typeof cancelEnsemble> | null = null;
  const result = await runEnsemble(config, {
    onProgress: (p) => {
      if (p.done === 4 && cancelled === null) cancelled = cancelEnsemble(join(dir, 'ens'));
    },
  });
  t.ok(cancelled, 'the cancel was sent');
  t.match(await cancelled, { controller: { pid: process.pid } }, 'addressed to the running controller');
  t.match(result, { done: 4, failed: 0, pending: 0, cancelled: 0, cancelRequested: true });
  t.notOk(result.stoppedByCancel, 'nothing was left to stop');
  t.equal(exitStatus(result), 0);
});
