// `run --smoke N`: N tasks spread over the design run in a throw-away directory (no ensemble directory left), the
// prologue first; and the prologue of a real run: once across run and retry, and a failing one stops the run.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { spread } from '../../src/run/smoke.js';
import { retry, run, smoke } from '../../src/index.js';
import { behaveConfig, runCli, writeConfig } from '../helpers/ensemble.js';

const smokeDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('arrayflow-smoke-'));

t.test('spread picks n evenly spaced, the first and the last among them', async (t) => {
  t.same(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3), [0, 5, 9]);
  t.same(spread([0, 1, 2], 5), [0, 1, 2]);
  t.same(spread([4, 5], 1), [4]);
});

t.test('run --smoke 3 prints three outcomes and the bundle, exits 3 for a failure, and leaves no ensemble directory', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'prologue.log');
  const config = writeConfig(
    dir,
    behaveConfig({
      modes: ['ok', 'exit3'],
      xs: [1, 2, 3, 4, 5],
      executor: 'executor: { type: slurm }',
      extra: `prologue: { command: [sh, -c, 'pwd >> "$ARRAYFLOW_CONFIG_DIR/prologue.log"'] }`,
    }),
  );
  const before = smokeDirs();
  const r = await runCli(['run', config, '--smoke', '3']);
  t.equal(r.exitCode, 3, r.stderr);
  t.match(r.stdout, /^prologue sh -c .*: done in/m);
  t.match(r.stdout, /^task 0 \(mode="ok" x=1; task_seed \d+\): done in [\d.]+ s: y=2 /m);
  t.match(r.stdout, /^task 5 \(mode="exit3" x=1; task_seed \d+\): FAILED in [\d.]+ s: exit code 3\n {2}stderr\| simulated failure: giving up$/m);
  t.match(r.stdout, /^task 9 \(mode="exit3" x=5;/m);
  t.match(r.stdout, /time per task measured: [\d.]+ s \(mean of the 1 done\); the config sets no expected_task_time/);
  t.match(r.stdout, /the plan's bundle would be \d+ tasks? per array element \(\d+ elements for 10 tasks\): expected [\d.]+ s per task \(smoke run\)/);
  t.match(r.stdout, /1 of 3 smoke tasks done/);
  t.notOk(existsSync(join(dir, 'ens')), 'no ensemble directory');
  t.match(readFileSync(log, 'utf8'), /arrayflow-smoke-test-\w+\/ensemble\n$/, 'the prologue ran once, in the throw-away ensemble');
  t.same(smokeDirs(), before, 'the throw-away directory is gone');

  const ok = await smoke(config, 1);
  t.same([ok.failed, ok.stages[0].tasks.map((x) => [x.task, x.record.status])], [0, [[0, 'done']]]);
});

t.test('the prologue runs once across run and retry; a failing prologue stops the run before any task', async (t) => {
  const dir = t.testdir();
  const log = join(dir, 'prologue.log');
  const prologue = `prologue: { command: [sh, -c, 'pwd >> "$ARRAYFLOW_CONFIG_DIR/prologue.log"'] }`;
  const config = writeConfig(dir, behaveConfig({ modes: ['ok', 'exit3'], xs: [1], extra: prologue }));
  const first = await run(config, { workers: 2 });
  t.equal(first.failed, 1);
  t.equal(readFileSync(log, 'utf8'), `${join(dir, 'ens')}\n`, 'once, in the ensemble directory');
  await retry(first.ensembleDir, {}, { workers: 1 });
  t.equal(readFileSync(log, 'utf8').split('\n').length, 2, 'not again: its success is in the journal');
  const events = (await readJournal(join(dir, 'ens', 'journal.ndjson'))).filter((e) => e.event === 'prologue');
  t.match(events, [{ event: 'prologue', exit_code: 0 }]);

  const broken = writeConfig(
    dir,
    behaveConfig({ name: 'broken', modes: ['ok'], xs: [1], extra: `ensemble_dir: ens2\nprologue: { command: [sh, -c, 'echo cannot build the cache >&2; exit 4'] }` }).replace('ensemble_dir: ens\n', ''),
    'broken.yaml',
  );
  const r = await runCli(['run', broken, '--no-progress']);
  t.equal(r.exitCode, 1, r.stdout);
  t.match(r.stderr, /the prologue \(sh -c .*\) exited 4:\ncannot build the cache\nno task ran; its output: .*ens2\/logs\/prologue\.log/);
  t.same(readdirSync(join(dir, 'ens2', 'results')), [], 'no task ran');
});
