// writePlan: an ensemble directory created from a config, re-opened for the same config, refused for another.
import t from 'tap';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJournal } from '../../src/journal/journal.js';
import { EnsembleLayout } from '../../src/layout/layout.js';
import { taskHash, taskKeys } from '../../src/plan/settings.js';
import { readTaskTable } from '../../src/plan/tasks.js';
import { planFileFor, samplePlan, upstreamOf, writePlan } from '../../src/plan/write.js';
import { showEnsemble } from '../../src/run/show.js';
import { arrayflowBin } from '../../src/util/paths.js';
import { commitAll, outsideRepo } from '../helpers/git.js';
import { configIn, drawnConfig, planIn } from '../helpers/plan.js';

t.test('planFileFor: tasks, elements of `bundle` tasks, the design and runtime, no upstream unless given', async (t) => {
  const config = configIn('/x', drawnConfig({ n: 5, bundle: 2, extra: 'timeout: 30s' }));
  const plan = planFileFor(config, {}, 5, 'abcd1234');
  t.match(plan, { format: 1, name: 'drawn', id: 'abcd1234', task_hash: taskHash({}), tasks: 5, array_tasks: 5, bundle: 2, elements: 3, retries: 0 });
  t.same(plan.param_names, ['x', 'k']);
  t.same(plan.design, { parameters: config.parameters, sampling: config.sampling });
  t.equal(plan.runtime.timeout, 30);
  t.same(plan.executor, config.executor);
  t.equal(plan.node, process.execPath);
  t.equal(plan.arrayflow, arrayflowBin());
  t.notOk('upstream' in plan);
  t.notOk('adaptive' in plan);
  t.equal(planFileFor(config, {}, 4, 'i').elements, 2, 'an exact multiple');
  const later = planFileFor(config, {}, 6, 'i', { stage: 'A', dir: '../A', depend: 'afterany' });
  t.same(later.param_names, ['A.task', 'x', 'k'], 'the upstream task column first');
  t.same(later.upstream, { stage: 'A', dir: '../A', depend: 'afterany' });
});

t.test('planFileFor keeps the adaptive proposer', async (t) => {
  const config = configIn('/x', drawnConfig({ n: 4, extra: 'adaptive: { command: [propose, "{dataset}"], budget: 10 }' }));
  t.same(planFileFor(config, {}, 4, 'i').adaptive, { command: ['propose', '{dataset}'], budget: 10, cwd: '/x' });
});

t.test('upstreamOf: the stage named by after, its directory relative to this stage, its task count', async (t) => {
  const a = { name: 'A', layout: new EnsembleLayout('/e/stages/A'), plan: planFileFor(configIn('/x', drawnConfig({ n: 6 })), {}, 6, 'i') };
  t.same(upstreamOf({ name: 'B', after: 'A', depend: 'afterok' }, '/e/stages/B', [a]), { spec: { stage: 'A', dir: '../A', depend: 'afterok' }, tasks: 6 });
  t.equal(upstreamOf({ name: 'A', after: null, depend: 'afterany' }, '/e/stages/A', [a]), undefined, 'the first stage');
  t.equal(upstreamOf({ name: 'B', after: 'Z', depend: 'afterany' }, '/e/stages/B', [a]), undefined, 'no such stage before it');
});

t.test('samplePlan: the design, or the design crossed with the upstream tasks', async (t) => {
  const config = configIn('/x', drawnConfig({ n: 3 }));
  t.equal((await samplePlan(config)).seeds.length, 3);
  const crossed = await samplePlan(config, { spec: { stage: 'A', dir: '../A', depend: 'afterany' }, tasks: 4 });
  t.equal(crossed.seeds.length, 12);
  t.equal(crossed.columns[0].name, 'A.task');
});

t.test('writePlan creates the ensemble directory: config, manifest, task table, plan, journal', async (t) => {
  const dir = t.testdir({});
  const yaml = drawnConfig({ n: 5, bundle: 2 });
  const { layout, plan, created, config } = await planIn(dir, yaml);
  t.equal(created, true);
  t.equal(layout.root, join(dir, 'ens'));
  t.match(plan.id, /^[0-9a-f]{8}$/);
  t.equal(plan.task_hash, taskHash(taskKeys(config, null)));
  t.match(plan, { tasks: 5, elements: 3, bundle: 2 });
  t.same(JSON.parse(readFileSync(layout.planFile, 'utf8')), plan, 'plan.json holds the plan returned');
  t.equal(readFileSync(layout.config, 'utf8'), yaml, 'the config text, frozen as written');
  t.match(JSON.parse(readFileSync(layout.manifest, 'utf8')), { task_hash: plan.task_hash, tasks: 5 });
  const rows = await readTaskTable(layout);
  t.same(rows.map((r) => r.id), [0, 1, 2, 3, 4]);
  t.same(Object.keys(rows[0].params), ['x', 'k']);
  // started/ too: the first elements of a bundle would each find it missing, then make it
  for (const d of [layout.resultsDir, layout.startsDir, layout.jobLogsDir, layout.scriptsDir]) t.ok(statSync(d).isDirectory(), d);
  const journal = await readJournal(layout.journal);
  t.match(journal, [{ event: 'planned', tasks: 5, elements: 3, task_hash: plan.task_hash, bundle: 2, bundle_reason: 'set in the config (executor.array.bundle)' }]);
});

t.test('planFileFor / writePlan: without bundle, the bundle is chosen and its reason kept in plan.json and the journal', async (t) => {
  const auto = (extra: string, executor = '{ type: slurm, array: { throttle: 20 } }') =>
    drawnConfig({ n: 1000, extra }).replace(/^executor: .*$/m, `executor: ${executor}`);
  const config = configIn('/x', auto('expected_task_time: 2s'));
  const plan = planFileFor(config, {}, 1000, 'i');
  t.match(plan, { bundle: 50, elements: 20 });
  t.equal(plan.bundle_reason, 'expected 2.0 s per task (expected_task_time), target 10 min per element, 20 slots (throttle): capped so the 1000 tasks fill the slots, ≈ 1.7 min per element');
  t.notOk('bundle' in plan.executor.array, 'the executor section stays as the config wrote it');
  t.match(planFileFor(config, {}, 1000, 'i', undefined, 10), { bundle: 100, elements: 10 }, 'slots given (the cluster is smaller than the throttle)');
  // resources.time in Slurm syntax bounds it; the timeout stands in for an unknown task time
  t.match(planFileFor(configIn('/x', auto('expected_task_time: 2s', '{ type: slurm, array: { throttle: 20 }, resources: { time: "1" } }')), {}, 1000, 'i'), { bundle: 19 });
  // an unknown task time is measured by a probe of one task per slot (the timeout bound is for where it cannot be)
  t.match(planFileFor(configIn('/x', auto('timeout: 60')), {}, 1000, 'i'), { bundle: 1, bundle_probe: 20, bundle_reason: /^task time unknown: the first 20 tasks \(20 slots, throttle\)/ });
  t.match(planFileFor(configIn('/x', auto('')), {}, 1000, 'i', undefined, 8), { bundle: 1, elements: 1000, bundle_probe: 8 });
  t.match(planFileFor(configIn('/x', auto('expected_task_time: 2s')), {}, 1000, 'i'), { bundle_probe: undefined }, 'a known time: no probe');
  const noProbe = (extra: string, executor: string) => planFileFor(configIn('/x', auto(extra, executor)), {}, 1000, 'i');
  t.match(noProbe('timeout: 60', '{ type: local }'), { bundle_probe: undefined, bundle: 9, bundle_reason: /^up to 60 s per task \(timeout/ }, 'the local executor learns nothing');
  t.match(noProbe('', '{ type: local }'), { bundle_probe: undefined, bundle: 1, bundle_reason: /^task time unknown and no timeout/ });

  const dir = t.testdir({});
  const written = await planIn(dir, auto('expected_task_time: 2s'));
  t.match(JSON.parse(readFileSync(written.layout.planFile, 'utf8')), { bundle: 50, elements: 20, bundle_reason: plan.bundle_reason });
  t.match(await readJournal(written.layout.journal), [{ event: 'planned', bundle: 50, elements: 20, bundle_reason: plan.bundle_reason }]);
  // the expected task time is not the ensemble's identity: changing it re-opens the plan as it was
  const again = await planIn(dir, auto('expected_task_time: 20s'));
  t.equal(again.created, false);
  t.equal(again.plan.bundle, 50);
});

t.test('writePlan re-opens a plan of the same config untouched', async (t) => {
  const dir = t.testdir({});
  const first = await planIn(dir, drawnConfig({ n: 5 }));
  const tasksBefore = readFileSync(first.layout.tasks);
  const again = await planIn(dir, drawnConfig({ n: 5 }));
  t.equal(again.created, false);
  t.same(again.plan, first.plan, 'the same plan, the same id');
  t.ok(readFileSync(first.layout.tasks).equals(tasksBefore));
  t.equal((await readJournal(first.layout.journal)).length, 1, 'planned once');
});

t.test('writePlan: where it runs is not the ensemble; the element layout first planned stays', async (t) => {
  const dir = t.testdir({});
  const first = await planIn(dir, drawnConfig({ n: 5, bundle: 2 }));
  const other = await planIn(dir, drawnConfig({ n: 5, bundle: 4 }));
  t.equal(other.created, false);
  t.match(other.plan, { bundle: 2, elements: 3, id: first.plan.id });
  t.same(other.changes, [{ key: 'executor.array.bundle', from: 2, to: 4 }], 'the change is journalled and shown, the layout kept');
});

t.test('writePlan refuses a config that defines other tasks: a ConfigError at each changed key, and changes nothing', async (t) => {
  const dir = t.testdir({});
  const first = await planIn(dir, drawnConfig({ n: 5 }));
  const planText = readFileSync(first.layout.planFile, 'utf8');
  const file = join(dir, 'config.yaml');
  const ens = join(dir, 'ens');
  const advice =
    `differs from the ensemble planned in ${ens}: it defines the tasks, and only execution settings (timeout, keep, logs, dataset, executor.*) ` +
    'may change between runs of one ensemble; put it back, or set another ensemble_dir for a new ensemble (this one stays as it is)';
  const six = drawnConfig({ n: 6 });
  await t.rejects(writePlan(configIn(dir, six), six), {
    name: 'ConfigError',
    code: 'E_CONFIG',
    issues: [{ file, line: 7, col: 28, path: 'sampling.samples', message: `${advice}; to add samples, put it back and run \`arrayflow extend ${ens} --budget 6\`` }],
  });
  const more = drawnConfig({ n: 5 }).replace('seed: 3 }', 'seed: 3, replicates: 4 }');
  await t.rejects(writePlan(configIn(dir, more), more), {
    name: 'ConfigError',
    issues: [{ file, line: 7, col: 49, path: 'sampling.replicates', message: `${advice}; to add replicates, put it back and run \`arrayflow extend ${ens} --replicates 4\`` }],
  });
  const other = drawnConfig({ n: 5 }).replace('command: [echo, "{x}", "{k}"]', 'command: [echo, "{k}"]').replace('values: [a, b]', 'values: [a, c]');
  const err = await planIn(dir, other).catch((e: unknown) => e);
  t.match(err, {
    name: 'ConfigError',
    issues: [
      { file, line: 3, col: 1, path: 'command', message: advice },
      { file, line: 6, col: 3, path: 'parameters.k', message: advice },
    ],
  });
  t.match((err as Error).message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:1: command: differs from the ensemble planned in `), 'file:line:col: key: what');
  t.equal(readFileSync(first.layout.planFile, 'utf8'), planText);
  t.equal(readFileSync(first.layout.config, 'utf8'), drawnConfig({ n: 5 }));
  t.equal((await readJournal(first.layout.journal)).length, 1, 'nothing journalled');
});

t.test('writePlan refusing a grid with samples added: no extend --budget hint (a grid has no points beyond its own)', async (t) => {
  const dir = t.testdir({});
  const grid = (sampling: string) => `name: g\nensemble_dir: ens\ncommand: [echo, "{k}"]\nparameters:\n  k: { values: [a, b] }\nsampling: ${sampling}\nexecutor: { type: local }\n`;
  await planIn(dir, grid('{ method: grid }'));
  const err = await planIn(dir, grid('{ method: grid, samples: 100 }')).catch((e: Error) => e);
  t.match(err, { name: 'ConfigError', issues: [{ path: 'sampling.samples', message: /put it back, or set another ensemble_dir for a new ensemble \(this one stays as it is\)$/ }] });
  t.notMatch((err as Error).message, /arrayflow extend/);
});

t.test('writePlan re-opens a plan with changed execution settings: plan.json and config.yaml rewritten, the change journalled', async (t) => {
  const dir = t.testdir({});
  const first = await planIn(dir, drawnConfig({ n: 5, extra: 'timeout: 2' }));
  const yaml = drawnConfig({ n: 5, extra: 'timeout: 30\nkeep: all' }).replace(/^executor: .*$/m, 'executor: { type: local, array: { bundle: 2 }, retries: 1 }');
  const again = await planIn(dir, yaml);
  t.equal(again.created, false);
  t.same(again.changes.map((c) => c.key), ['executor.retries', 'executor.type', 'keep', 'timeout']);
  t.same(again.changes.find((c) => c.key === 'timeout'), { key: 'timeout', from: 2, to: 30 });
  t.match(again.plan, { id: first.plan.id, task_hash: first.plan.task_hash, retries: 1, runtime: { timeout: 30, keep: 'all' }, executor: { type: 'local', retries: 1 } });
  t.same(JSON.parse(readFileSync(first.layout.planFile, 'utf8')), again.plan, 'plan.json holds the new settings');
  t.equal(readFileSync(first.layout.config, 'utf8'), yaml, 'config.yaml is the config as last run');
  t.match(await readJournal(first.layout.journal), [{ event: 'planned' }, { event: 'settings', changes: again.changes }]);
  const same = await planIn(dir, yaml);
  t.same(same.changes, [], 'the same settings again: no change');
  t.equal((await readJournal(first.layout.journal)).length, 2, 'and nothing journalled');
});

t.test('writePlan: the points file is part of the config', async (t) => {
  const dir = t.testdir({ 'points.csv': 'x\n0.1\n0.2\n' });
  const yaml = 'name: pts\nensemble_dir: ens\ncommand: [echo, "{x}"]\nparameters: {x: {uniform: [0, 1]}}\nsampling: {method: list, file: points.csv}\n';
  const { plan, layout } = await planIn(dir, yaml);
  t.equal(plan.tasks, 2);
  t.same((await readTaskTable(layout)).map((r) => r.params.x), [0.1, 0.2]);
  t.match(JSON.parse(readFileSync(layout.manifest, 'utf8')).sampling, { method: 'list', points_file_sha256: /^[0-9a-f]{64}$/ });
  writeFileSync(join(dir, 'points.csv'), 'x\n0.1\n0.3\n');
  await t.rejects(planIn(dir, yaml), { name: 'ConfigError', issues: [{ line: 5, col: 26, path: 'sampling.file', message: `the contents of ${join(dir, 'points.csv')} differ from those of the ensemble planned in ${join(dir, 'ens')}: it defines the tasks` }] }, 'an edited points file is another ensemble, located at sampling.file');
});

t.test('writePlan: a design of no points is an error and leaves no plan', async (t) => {
  const dir = t.testdir({});
  const config = configIn(dir, drawnConfig({ n: 3 }));
  const empty = { ...config, sampling: { ...config.sampling, samples: 0 } };
  await t.rejects(writePlan(empty, 'x'), { name: 'EnsembleError', message: `${join(dir, 'config.yaml')}: the sampling produced no points` });
  t.notOk(existsSync(new EnsembleLayout(config.ensemble_dir).planFile));
  t.equal((await planIn(dir, drawnConfig({ n: 3 }))).created, true, 'a later plan of a real design goes ahead');
});

t.test('writePlan: a dirty simulation under require_clean_git is refused before anything is written; a later run with other code is journalled once', async (t) => {
  const root = outsideRepo(t);
  writeFileSync(join(root, 'sim.sh'), 'echo 1\n');
  writeFileSync(join(root, '.gitignore'), 'ens/\n');
  await commitAll(root);
  const yaml = (strict: boolean) => `name: p\nensemble_dir: ens\ncommand: [sh, sim.sh]\ninputs: { copy: [sim.sh] }\nparameters: { x: [1] }\nsampling: { method: grid }\nprovenance: { require_clean_git: ${strict} }\n`;
  writeFileSync(join(root, 'sim.sh'), 'echo 2\n');
  await t.rejects(planIn(root, yaml(true)), { name: 'UsageError', message: /has 1 file not committed: sim\.sh/ });
  t.notOk(existsSync(join(root, 'ens')), 'no ensemble directory');

  const { layout } = await planIn(root, yaml(false));
  const manifest = JSON.parse(readFileSync(layout.manifest, 'utf8'));
  t.strictSame(manifest.provenance.repositories[0].dirty, ['sim.sh'], 'recorded in the manifest');
  await planIn(root, yaml(false));
  t.equal((await readJournal(layout.journal)).filter((e) => e.event === 'provenance').length, 0, 'the same provenance: nothing journalled');
  await commitAll(root);
  await planIn(root, yaml(false));
  await planIn(root, yaml(false));
  const events = (await readJournal(layout.journal)).filter((e) => e.event === 'provenance');
  t.equal(events.length, 1, 'the commit is journalled once');
  t.match(events[0], { provenance: { repositories: [{ root, dirty: [], commit: /^[0-9a-f]{40}$/ }] } });
  const shown = await showEnsemble(layout.root);
  t.strictSame(shown.provenance_changes, events.map((e) => ({ ts: e.ts, provenance: (e as { provenance: unknown }).provenance })), 'arrayflow show lists it');
});
