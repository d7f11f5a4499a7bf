// `arrayflow cancel` while an adaptive run's proposer runs (no lock held then) must still stop the run:
// no next round is planned nor run, whether it lands while the proposer runs or once every task of a round has its
// row (while the round collects). A plain run's cancel that lands then stops nothing: done, exit 0 (test/run/cancel.test.ts).
import t from 'tap';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/paths.js';
import { exitStatus } from '../../src/cli/shared.js';
import { cancelEnsemble } from '../../src/run/cancel.js';
import { runEnsemble } from '../../src/run/run.js';
import type { CancelResult } from '../../src/run/cancel.js';
import { duckQuery, runCli, writeConfig } from '../helpers/ensemble.js';

const example = join(packageRoot, 'examples', 'adaptive');

t.test('a cancel while the proposer runs stops the adaptive run before its next round', async (t) => {
  const dir = t.testdir();
  for (const f of ['step.mjs', 'refine.mjs']) copyFileSync(join(example, f), join(dir, f));
  // the proposer says it runs, takes 3 s (a surrogate fit), then proposes one point in round 1 (none later)
  writeFileSync(join(dir, 'slow.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(dir, 'proposing'))}, '');\nawait new Promise((r) => setTimeout(r, 3000));\nif (process.argv[2] === '1') console.log(JSON.stringify({ x: 0.5 }));\n`);
  const text = readFileSync(join(example, 'adaptive.yaml'), 'utf8')
    .replace(/^ensemble_dir: .*$/m, 'ensemble_dir: ens')
    .replace(/^ {2}command: .*$/m, '  command: [node, slow.mjs, "{round}"]')
    .replace('executor: { type: local }', 'executor: { type: local, workers: 2 }');
  const config = writeConfig(dir, text);
  const ens = join(dir, 'ens');
  const run = runCli(['run', config, '--no-progress'], { timeout: 120_000 });
  for (let i = 0; i < 600 && !existsSync(join(dir, 'proposing')); i++) await new Promise((r) => setTimeout(r, 100));
  t.ok(existsSync(join(dir, 'proposing')), 'the proposer runs');
  const cancel = await runCli(['cancel', ens]);
  t.equal(cancel.exitCode, 0, cancel.stderr);
  const outcome = await run;
  t.equal(outcome.exitCode, 3, `stopped by the cancel:\n${outcome.stdout}\n${outcome.stderr}`);
  t.notMatch(outcome.stdout, /adaptive round 1: /, 'no round after the cancel');
  t.same(await duckQuery(`select count(*) as n from read_parquet('${join(ens, 'dataset.parquet')}')`), [{ n: 16n }], 'only the initial design');
});

t.test('a cancel once every task of the round has its row: no next round, and stopped (exit 3) since budget is left', async (t) => {
  const dir = t.testdir();
  for (const f of ['step.mjs', 'refine.mjs']) copyFileSync(join(example, f), join(dir, f));
  writeFileSync(join(dir, 'mark.mjs'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(dir, 'proposing'))}, '');\nconsole.log(JSON.stringify({ x: 0.5 }));\n`);
  const text = readFileSync(join(example, 'adaptive.yaml'), 'utf8')
    .replace(/^ensemble_dir: .*$/m, 'ensemble_dir: ens')
    .replace(/^ {2}command: .*$/m, '  command: [node, mark.mjs]')
    .replace('executor: { type: local }', 'executor: { type: local, workers: 2 }');
  const config = writeConfig(dir, text);
  let cancelled: Promise<CancelResult> | null = null;
  // the last row of the round is in: the cancel lands while the controller collects the dataset (it holds the lock)
  const result = await runEnsemble(config, {
    onProgress: (p) => {
      if (p.done === 16 && cancelled === null) cancelled = cancelEnsemble(join(dir, 'ens'));
    },
  });
  t.ok(cancelled, 'the cancel was sent');
  t.match(await cancelled, { controller: { pid: process.pid } }, 'addressed to the running controller');
  t.match(result, { done: 16, failed: 0, pending: 0, cancelled: 0, cancelRequested: true, stoppedByCancel: true });
  t.equal(exitStatus(result), 3, 'the rounds left are work stopped, as when the cancel comes while proposing');
  t.notOk(existsSync(join(dir, 'proposing')), 'no further round was asked for');
  t.same(await duckQuery(`select count(*) as n from read_parquet('${join(dir, 'ens', 'dataset.parquet')}')`), [{ n: 16n }]);
});
