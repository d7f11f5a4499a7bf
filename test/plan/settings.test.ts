// Execution settings vs what defines the tasks: task keys (named per key), settings changes, a plan with new settings.
import t from 'tap';
import { configSettings, describeChange, planSettings, settingsChanges, taskChanges, taskHash, taskKeys, withSettings } from '../../src/plan/settings.js';
import { planFileFor } from '../../src/plan/write.js';
import { configIn, drawnConfig } from '../helpers/plan.js';

t.test('taskKeys: of the normalised config, so formatting and comments do not count', async (t) => {
  const block = configIn('/x', drawnConfig({ n: 4 }));
  const reformatted = configIn(
    '/x',
    `# the same ensemble, written differently
name: drawn
ensemble_dir: ens
command:
  - echo
  - "{x}"
  - "{k}"
parameters:
  x: {uniform: [0.0, 1.0]}   # same numbers
  k: [a, b]
sampling: {seed: 3, samples: 4, method: sobol}
`,
  );
  t.match(taskHash(taskKeys(block, null)), /^[0-9a-f]{64}$/);
  t.same(taskKeys(reformatted, null), taskKeys(block, null));
});

t.test('taskChanges: execution settings are not part of the tasks; the design, command and points file are, named per key', async (t) => {
  const base = configIn('/x', drawnConfig({ n: 4 }));
  const keys = taskKeys(base, null);
  const changed = (c: typeof base, points: Buffer | null = null) => taskChanges(keys, taskKeys(c, points));
  t.same(changed({ ...base, source: '/elsewhere/c.yaml', ensemble_dir: '/moved' }), [], 'where the config and the ensemble are');
  t.same(changed({ ...base, timeout: 9, keep: 'all', expected_task_time: 5 }), [], 'timeout, keep, expected task time');
  t.same(changed({ ...base, executor: { ...base.executor, type: 'local', retries: 3, setup: ['module load x'] } }), [], 'the executor');
  t.same(changed(configIn('/x', drawnConfig({ n: 4, extra: 'adaptive: {command: [p], budget: 9}' }))), [], 'the adaptive proposer');
  t.same(changed({ ...base, logs: 'all', result: { ...base.result, max_size: 5 }, prologue: { command: ['make'], config_dir: '/x' } }), [], 'kept logs, the result size limit, the prologue');
  t.same(
    settingsChanges(configSettings(base), configSettings({ ...base, logs: 'all', result: { ...base.result, max_size: 5 }, prologue: { command: ['make'], config_dir: '/x' } })).map((c) => c.key),
    ['logs', 'prologue.command', 'prologue.config_dir', 'result.max_size'],
    'they are execution settings',
  );
  const hdf5 = { ...base, dataset: { formats: ['parquet' as const, 'hdf5' as const], compression: 'zstd' as const } };
  t.same(changed(hdf5), [], 'the dataset files');
  t.same(settingsChanges(configSettings(base), configSettings(hdf5)).map((c) => c.key), ['dataset.compression', 'dataset.formats'], 'an execution setting');
  const { dataset: _none, ...older } = planFileFor(base, keys, 4, 'id');
  t.same(settingsChanges(planSettings(older), configSettings(base)), [], 'a plan written before dataset existed has the default');
  t.same(withSettings(older, configSettings(hdf5)).dataset, hdf5.dataset, 'plan.json gets the new one');
  t.same(changed(configIn('/x', drawnConfig({ n: 5 }))), ['sampling.samples']);
  t.same(changed({ ...base, sampling: { ...base.sampling, seed: 4 } }), ['sampling.seed']);
  t.same(changed({ ...base, command: ['echo', '{k}'] }), ['command']);
  t.same(changed({ ...base, parameters: { ...base.parameters, k: { kind: 'values', values: ['a', 'c'] } } }), ['parameters.k']);
  t.same(changed({ ...base, env: { A: '1' } }), ['env.A'], 'a variable the simulation sees');
  t.same(changed({ ...base, result: { ...base.result, file: 'out.json' }, inputs: { ...base.inputs, copy: ['/x/sim.py'] } }), ['inputs.copy', 'result.file']);
  t.same(changed(base, Buffer.from('x\n1\n')), ['sampling.file (contents)'], 'a points file');
  t.not(taskKeys(base, Buffer.from('x\n1\n'))['sampling.file (contents)'], taskKeys(base, Buffer.from('x\n2\n'))['sampling.file (contents)'], 'its content');
});

t.test('settingsChanges: leaf key paths with both values; withSettings puts them where the controller and the node read them', async (t) => {
  const before = configIn('/x', drawnConfig({ n: 4, extra: 'timeout: 2' }));
  const after = configIn('/x', drawnConfig({ n: 4, extra: 'timeout: 30\nkeep: all' }).replace(/^executor: .*$/m, 'executor: { type: local, retries: 1, array: { bundle: 4, parallel: 2 }, retry_scale: { time: 2 } }'));
  const plan = planFileFor(before, taskKeys(before, null), 4, 'i');
  t.same(settingsChanges(planSettings(plan), planSettings(plan)), []);
  const changes = settingsChanges(planSettings(plan), configSettings(after));
  t.same(changes.map((c) => c.key), ['executor.array.bundle', 'executor.array.parallel', 'executor.retries', 'executor.retry_scale.time', 'executor.type', 'keep', 'timeout']);
  t.same(changes.find((c) => c.key === 'timeout'), { key: 'timeout', from: 2, to: 30 });
  const next = withSettings(plan, configSettings(after));
  t.match(next, { retries: 1, bundle: plan.bundle, elements: plan.elements, runtime: { timeout: 30, keep: 'all', parallel: 2, command: plan.runtime.command } });
  t.same(next.executor, after.executor);
  t.same(settingsChanges(planSettings(next), configSettings(after)), [], 'the new plan holds the new settings');
  t.equal(describeChange({ key: 'timeout', from: 2, to: 30 }), 'timeout: 2 -> 30');
  t.equal(describeChange({ key: 'executor.retry_scale.time', from: undefined, to: 2 }), 'executor.retry_scale.time: (unset) -> 2');
  t.match(describeChange({ key: 'executor.array.bundle', from: 2, to: 4 }, 2), /^executor\.array\.bundle: 2 -> 4 \(the element layout stays as planned: 2 tasks per element/);
});
