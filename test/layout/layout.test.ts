// EnsembleLayout: every path of an ensemble directory sits under its root, distinct, named as the docs say.
import t from 'tap';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { EnsembleLayout, elementName, elementWriter } from '../../src/layout/layout.js';

const ROOT = join(sep, 'scratch', 'ada', 'runs', 'sweep');
const L = new EnsembleLayout(ROOT);

/** Every path the layout hands out, by name. */
function allPaths(l: EnsembleLayout): Record<string, string> {
  return {
    config: l.config,
    manifest: l.manifest,
    journal: l.journal,
    lock: l.lock,
    stagesFile: l.stagesFile,
    stageDir: l.stageDir('coarse'),
    planDir: l.planDir,
    tasks: l.tasks,
    planFile: l.planFile,
    scriptsDir: l.scriptsDir,
    script: l.script('0003', 'sbatch'),
    resultsDir: l.resultsDir,
    recordFile: l.recordFile('w0'),
    startsDir: l.startsDir,
    startsFile: l.startsFile('e4-a1'),
    inputsDir: l.inputsDir,
    shippedDir: l.shippedDir,
    outputsDir: l.outputsDir,
    outputs: l.outputs(12),
    logsDir: l.logsDir,
    jobLogsDir: l.jobLogsDir,
    failuresLog: l.failuresLog,
    dataset: l.dataset('csv'),
    datasetParquet: l.datasetParquet,
    datasetDir: l.datasetDir,
    datasetPart: l.datasetPart('part-00012', 'parquet'),
    datasetParts: l.datasetParts,
    followLock: l.followLock,
    report: l.report,
  };
}

t.test('every path is absolute, strictly under the root, and no two coincide', async (t) => {
  const paths = allPaths(L);
  for (const [name, p] of Object.entries(paths)) {
    t.ok(isAbsolute(p), `${name} is absolute`);
    const rel = relative(ROOT, p);
    t.ok(rel !== '' && !rel.startsWith('..') && !isAbsolute(rel), `${name} (${p}) is under the root`);
  }
  t.equal(new Set(Object.values(paths)).size, Object.keys(paths).length, 'all distinct');
});

t.test('the files at the root and in plan/', async (t) => {
  t.equal(L.config, join(ROOT, 'config.yaml'));
  t.equal(L.manifest, join(ROOT, 'manifest.json'));
  t.equal(L.journal, join(ROOT, 'journal.ndjson'));
  t.equal(L.lock, join(ROOT, 'controller.lock'));
  t.equal(L.stagesFile, join(ROOT, 'stages.json'));
  t.equal(L.planDir, join(ROOT, 'plan'));
  for (const p of [L.tasks, L.planFile, L.scriptsDir]) t.equal(dirname(p), L.planDir);
  t.equal(L.tasks, join(ROOT, 'plan', 'tasks.bin'));
  t.equal(L.planFile, join(ROOT, 'plan', 'plan.json'));
});

t.test('scripts, record files and outputs are named from their argument', async (t) => {
  t.equal(L.script('0003', 'sbatch'), join(ROOT, 'plan', 'scripts', 'chunk-0003.sbatch'));
  t.equal(L.script('r1', 'pbs'), join(ROOT, 'plan', 'scripts', 'chunk-r1.pbs'));
  t.equal(L.recordFile('e4-a1-77_4'), join(ROOT, 'results', 'e4-a1-77_4.ndjson'));
  t.equal(dirname(L.recordFile('w0')), L.resultsDir);
  t.equal(L.startsFile('e4-a1'), join(ROOT, 'started', 'e4-a1.ndjson'), 'an element\'s start lines: beside no record file');
  t.equal(dirname(L.startsFile('e4-a1')), L.startsDir);
  t.equal(L.outputs(0), join(ROOT, 'outputs', '0'));
  t.equal(L.outputs(12), join(L.outputsDir, '12'));
  t.equal(L.jobLogsDir, join(ROOT, 'logs', 'jobs'));
  t.equal(L.failuresLog, join(ROOT, 'logs', 'failures.ndjson'));
  t.equal(L.inputsDir, join(ROOT, 'inputs'));
  t.equal(L.shippedDir, join(ROOT, '.arrayflow'));
});

t.test('dataset(format) and datasetPart(name, format)', async (t) => {
  t.equal(L.dataset('parquet'), join(ROOT, 'dataset.parquet'));
  t.equal(L.dataset('csv'), join(ROOT, 'dataset.csv'));
  t.equal(L.datasetParquet, L.dataset('parquet'), 'the parquet shortcut is dataset("parquet")');
  t.equal(L.datasetDir, join(ROOT, 'dataset'));
  t.equal(L.datasetPart('part-00012', 'parquet'), join(ROOT, 'dataset', 'part-00012.parquet'));
  t.equal(L.datasetPart('part-00012', 'csv'), join(ROOT, 'dataset', 'part-00012.csv'));
  t.equal(L.datasetParts, join(ROOT, 'dataset', 'parts.json'));
  t.equal(L.followLock, join(ROOT, 'dataset', 'follow.lock'));
  t.not(L.dataset('parquet'), L.datasetDir, 'the final dataset and the live parts directory differ');
});

t.test('stageDir is an ensemble directory of its own, under stages/', async (t) => {
  const stage = new EnsembleLayout(L.stageDir('fine'));
  t.equal(stage.root, join(ROOT, 'stages', 'fine'));
  t.equal(stage.planFile, join(ROOT, 'stages', 'fine', 'plan', 'plan.json'));
  t.not(L.stageDir('fine'), L.stageDir('coarse'));
});

t.test('a relative root gives paths relative to it, joined and normalised', async (t) => {
  const l = new EnsembleLayout('runs/./x/');
  t.equal(l.root, 'runs/./x/', 'the root is kept as given');
  t.equal(l.journal, join('runs', 'x', 'journal.ndjson'));
  t.equal(l.recordFile('w1'), join('runs', 'x', 'results', 'w1.ndjson'));
});

t.test('elementName, elementWriter: the names of an element\'s starts file (both sides) and record file (its runner\'s)', async (t) => {
  t.equal(elementName(4, 1), 'e4-a1', 'no job id: on Torque the runner and the controller do not see it alike');
  t.equal(elementName(1, 2, '/scratch/ada/runs/sweep/plan/r1-tasks.json'), 'rr1-tasks-e1', 'a listed resubmission: the list named, the attempt in it');
  t.equal(elementName(1, 2, 'plan/r1-tasks.json'), elementName(1, 2, '/scratch/ada/runs/sweep/plan/r1-tasks.json'), 'the list as the journal has it (relative) or the node gets it (absolute)');
  t.equal(elementWriter(4, 1, '77_4'), 'e4-a1-77_4');
  t.equal(elementWriter(1, 2, '5[1].pbs/x', '/scratch/ada/runs/sweep/plan/r1-tasks.json'), 'rr1-tasks-e1-5_1_.pbs_x', 'the name and the job id; odd characters replaced');
  t.equal(elementWriter(0, 3, 'pid123'), 'e0-a3-pid123');
});
