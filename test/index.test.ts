// The public entry point (src/index.ts): run / plan / status / collect / retry through the API with a config object and a path,
// the result shape, nothing printed, and config objects validated (and located) like files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import * as api from '../src/index.js';
import { type ConfigInput, ConfigError, collect, plan, readConfig, retry, run, status, validateConfig } from '../src/index.js';
import { configSchema } from '../src/config/schema.js';
import { behaveConfig, behaveSim, writeConfig } from './helpers/ensemble.js';

/** Runs `fn` with process.stdout/stderr.write captured: what the library would have printed. */
async function silent<T>(fn: () => Promise<T>): Promise<{ value: T; printed: string }> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  let printed = '';
  const capture = ((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  try {
    return { value: await fn(), printed };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** behave.mjs over modes x xs, as an object; relative paths (ensemble_dir, the copied sim) resolve against baseDir. */
const behaveObject = (modes: string[], xs: number[]): ConfigInput => ({
  name: 'api',
  ensemble_dir: 'ens',
  command: ['node', 'behave.mjs', '{mode}', '{x}'],
  inputs: { copy: [behaveSim] },
  timeout: '60s',
  parameters: { mode: { values: modes }, x: { values: xs } },
  sampling: { method: 'grid', seed: 7 },
  executor: { type: 'local', workers: 2 },
});

t.test('run(config object) resolves to the counts and the dataset, prints nothing, freezes the YAML', async (t) => {
  const dir = t.testdir({});
  const progress: api.Progress[] = [];
  const { value: r, printed } = await silent(() => run(behaveObject(['ok', 'exit3'], [1, 2, 3]), { baseDir: dir, onProgress: (p) => progress.push(p) }));
  t.equal(printed, '', 'nothing written to stdout or stderr');
  const ens = join(dir, 'ens');
  t.strictSame(r, {
    ensembleDir: ens,
    total: 6,
    done: 3,
    failed: 3,
    pending: 0,
    dataset: { parquet: join(ens, 'dataset.parquet'), csv: join(ens, 'dataset.csv') },
    badLines: 0,
    cancelled: 0,
  });
  t.ok(existsSync(r.dataset.parquet) && existsSync(r.dataset.csv!), 'both dataset files written');
  t.equal(readFileSync(r.dataset.csv!, 'utf8').trim().split('\n').length, 7, 'a header and one row per task');
  t.match(progress.at(-1), { total: 6, done: 3, failed: 3, pending: 0 }, 'progress went through the callback');

  const frozen = readFileSync(join(ens, 'config.yaml'), 'utf8');
  t.same(parse(frozen), behaveObject(['ok', 'exit3'], [1, 2, 3]), 'config.yaml is the object as YAML');
  const manifest = JSON.parse(readFileSync(join(ens, 'manifest.json'), 'utf8'));
  t.equal(manifest.config_file, join(dir, 'arrayflow.config'), 'the virtual file of an object config');

  const again = await silent(() => status(ens));
  t.equal(again.printed, '');
  t.strictSame(again.value, { ensembleDir: ens, name: 'api', total: 6, done: 3, failed: 3, pending: 0 });

  const c = await silent(() => collect(ens));
  t.equal(c.printed, '');
  t.strictSame(c.value, r, 'collect gives the same result as the run');

  // the same object again: the ensemble is re-opened, nothing runs twice
  const rerun = await silent(() => run(behaveObject(['ok', 'exit3'], [1, 2, 3]), { baseDir: dir }));
  t.strictSame(rerun.value, r);
  const failures = await api.failures(ens);
  t.same(failures.map((f) => [f.task, f.attempt, f.reason]), [3, 4, 5].map((i) => [i, 1, 'exit code 3']));

  const retried = await silent(() => retry(ens, { reason: 'exit code' }, { workers: 1 }));
  t.equal(retried.printed, '');
  t.match(retried.value, { retried: 3, total: 6, done: 3, failed: 3, pending: 0 }, 'exit3 fails again');
  t.same((await api.failures(ens)).map((f) => f.attempt), [2, 2, 2]);
});

t.test('run(path) and plan(path): the same shape from a YAML file', async (t) => {
  const dir = t.testdir({});
  const config = writeConfig(dir, behaveConfig({ modes: ['ok'], xs: [1, 2, 3, 4] }));
  const planned = await silent(() => plan(config));
  t.equal(planned.printed, '');
  t.strictSame(planned.value, { ensembleDir: join(dir, 'ens'), tasks: 4, created: true });
  const { value: r, printed } = await silent(() => run(config, { baseDir: '/nowhere' }));
  t.equal(printed, '');
  t.match(r, { ensembleDir: join(dir, 'ens'), total: 4, done: 4, failed: 0, pending: 0, badLines: 0 }, 'baseDir is ignored for a path');
  t.ok(existsSync(r.dataset.parquet));
  t.equal((await readConfig(config)).name, 'test');
});

t.test('a multi-stage config object: plan and status report the stages', async (t) => {
  const dir = t.testdir({});
  const chain: ConfigInput = {
    name: 'chain',
    ensemble_dir: 'ens',
    inputs: { copy: [behaveSim] },
    executor: { type: 'local', workers: 2 },
    stages: [
      { name: 'A', command: ['node', 'behave.mjs', 'ok', '{x}'], parameters: { x: [1, 2] }, sampling: { method: 'grid' } },
      { name: 'B', command: ['node', 'behave.mjs', 'ok', '{A.y}'] },
    ],
  };
  const p = await plan(chain, { baseDir: dir });
  const ens = join(dir, 'ens');
  t.match(p, { ensembleDir: ens, tasks: 4, created: true, stages: [{ stage: 'A', tasks: 2, ensembleDir: join(ens, 'stages', 'A') }, { stage: 'B', tasks: 2 }] });
  const { value: r, printed } = await silent(() => run(chain, { baseDir: dir }));
  t.equal(printed, '');
  t.match(r, { ensembleDir: ens, total: 4, done: 4, failed: 0, pending: 0 });
  t.match(await status(ens), { ensembleDir: ens, name: 'chain', total: 4, done: 4, stages: [{ stage: 'A', total: 2, done: 2 }, { stage: 'B', total: 2, done: 2 }] });
});

t.test('a bad config object rejects with a ConfigError located in its YAML text', async (t) => {
  const dir = t.testdir({});
  const bad = { name: 'bad', command: ['node'], parameters: { x: { values: [1] } }, sampling: { method: 'grid', sed: 3 } } as unknown as ConfigInput;
  // name: bad / command: / - node / parameters: / x: / values: / - 1 / sampling: / method: grid / sed: 3
  const issue = { file: join(dir, 'arrayflow.config'), line: 10, col: 3, path: 'sampling.sed', message: /unknown key 'sed'.*did you mean 'seed'/ };
  const { value: err, printed } = await silent(() => run(bad, { baseDir: dir }).catch((e: unknown) => e));
  t.equal(printed, '');
  t.type(err, ConfigError);
  t.match(err, { name: 'ConfigError', code: 'E_CONFIG', issues: [issue] });
  t.match(validateConfig(bad, { baseDir: dir }), { config: null, issues: [issue] }, 'validateConfig returns the same issue as data');
  t.notOk(existsSync(join(dir, 'runs')), 'nothing was written');

  const missing = { ...behaveObject(['ok'], [1]), inputs: { copy: ['sim.py'] } };
  await t.rejects(run(missing, { baseDir: dir }), {
    name: 'ConfigError',
    issues: [{ file: join(dir, 'arrayflow.config'), path: 'inputs.copy[0]', message: `input to copy ${join(dir, 'sim.py')} does not exist; paths are relative to the base directory ${dir}` }],
  });
  t.match(validateConfig(missing, { baseDir: dir }), { issues: [] }, 'validateConfig is pure: it does not look for files');

  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  await t.rejects(run(cyclic as unknown as ConfigInput, { baseDir: dir }), { name: 'ConfigError', issues: [{ line: 1, col: 1, message: /refers to itself/ }] });
});

t.test('the entry point exports the operations, the config functions and the error classes', async (t) => {
  for (const name of ['run', 'plan', 'resume', 'extend', 'retry', 'cancel', 'status', 'failures', 'collect', 'show', 'summary', 'report', 'reproduce', 'reproduceScript', 'smoke', 'readConfig', 'validateConfig', 'validateConfigText']) {
    t.type((api as Record<string, unknown>)[name], 'function', name);
  }
  for (const name of ['ArrayflowError', 'ConfigError', 'UsageError', 'EnsembleError', 'SchedulerError', 'TransportError', 'DataError', 'UpstreamError']) {
    const E = (api as Record<string, unknown>)[name] as new (...a: never[]) => Error;
    t.ok(E.prototype instanceof Error, name);
  }
});

t.test('ConfigInput names every top-level key of the config schema', async (t) => {
  // compile-time: a key missing here is an error; run time: a key the schema gained is a failure
  const keys: Record<keyof ConfigInput, true> = {
    name: true,
    ensemble_dir: true,
    command: true,
    env: true,
    inputs: true,
    result: true,
    keep: true,
    logs: true,
    dataset: true,
    timeout: true,
    expected_task_time: true,
    parameters: true,
    sampling: true,
    adaptive: true,
    prologue: true,
    provenance: true,
    executor: true,
    stages: true,
  };
  t.same(Object.keys(keys).sort(), Object.keys(configSchema().properties as object).sort());
});
