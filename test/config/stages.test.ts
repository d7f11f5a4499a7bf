// Multi-stage configs: the structural rules, the single-stage rules per stage with their issues located where the
// value was written, placeholders of upstream stages, and the normalised Config of every stage.
import t from 'tap';
import { join } from 'node:path';
import { hasStages, normaliseStages, stageRules } from '../../src/config/stages.js';
import { parseConfigSource } from '../../src/config/source.js';
import { validateConfig } from '../../src/config/validate.js';
import { type Located, locatedIssues } from '../helpers/config-issues.js';

/** stageRules on the YAML `lines`. */
const stageIssues = (...lines: string[]): Located[] => locatedIssues(stageRules, lines);

const BUILTINS = 'task_id, task_seed, attempt, scratch';
const BRACES = '(write {{ and }} for literal braces)';

t.test('hasStages: a stages key, whatever it holds', async (t) => {
  t.equal(hasStages({ stages: [] }), true);
  t.equal(hasStages({ stages: null }), true);
  t.equal(hasStages({ name: 'x', command: ['a'] }), false);
});

t.test('a well-formed chain has no issues', async (t) => {
  t.same(
    stageIssues(
      'name: chain',
      'command: [sim, "{x}"]',
      'stages:',
      '  - name: A',
      '    parameters: {x: {uniform: [0, 1]}}',
      '    sampling: {method: lhs, samples: 4}',
      '  - name: B',
      '    command: [post, "{A.x}", "{A.y}"]',
    ),
    [],
  );
});

t.test('structural rules: keys that belong to a stage, names, after/depend, parameters with sampling, a command', async (t) => {
  t.same(
    stageIssues(
      'name: s',
      'parameters: {x: 1}',
      'sampling: {method: grid}',
      'adaptive: {command: [p], budget: 9}',
      'stages:',
      '  - name: A',
      '    after: Z',
      '    depend: afterok',
      '    command: [a]',
      '  - name: A',
      '    command: [b]',
      '    parameters: {y: 1}',
      '  - name: C',
      '    sampling: {method: grid}',
      '  - name: D',
      '    after: Q',
    ),
    [
      [2, 1, 'parameters', 'with stages, parameters belongs to a stage: move it into the first stage (or the stage that samples it)'],
      [3, 1, 'sampling', 'with stages, sampling belongs to a stage: move it into the first stage (or the stage that samples it)'],
      [4, 1, 'adaptive', 'adaptive sampling works on a single-stage ensemble: remove adaptive, or the stages'],
      [7, 5, 'stages[0].after', 'the first stage has no stage before it: remove `after`'],
      [8, 5, 'stages[0].depend', 'the first stage has no stage before it: remove `depend`'],
      [7, 12, 'stages[0].after', 'no earlier stage is named "Z"; a stage follows one listed before it'],
      [6, 5, 'stages[0]', 'the first stage samples the design: give it parameters and sampling'],
      [10, 11, 'stages[1].name', 'stage name "A" is used twice; stage names must differ'],
      [10, 5, 'stages[1]', 'stage "A" has parameters but no sampling: add sampling (they are crossed with the upstream rows)'],
      [14, 5, 'stages[2].sampling', 'stage "C" has sampling but no parameters to sample'],
      [13, 5, 'stages[2]', 'stage "C" has no command, and there is no top-level command to inherit'],
      [16, 12, 'stages[3].after', 'no earlier stage is named "Q"; a stage follows one listed before it (A, C)'],
      [15, 5, 'stages[3]', 'stage "D" has no command, and there is no top-level command to inherit'],
    ],
  );
});

t.test('stages over SSH are refused at the host key', async (t) => {
  t.same(
    stageIssues('name: s', 'command: [a]', 'executor: {host: h, remote: {dir: /d}}', 'stages:', '  - name: A', '    parameters: {x: 1}', '    sampling: {method: grid}'),
    [[3, 12, 'executor.host', 'stages are not supported over SSH yet: run the ensemble on the login node (without executor.host)']],
  );
});

t.test('placeholders: a stage sees the columns of the stages up its chain, nearest first', async (t) => {
  t.same(
    stageIssues(
      'name: chain',
      'stages:',
      '  - name: A',
      '    command: [a]',
      '    parameters: {x: 1}',
      '    sampling: {method: grid}',
      '  - name: B',
      '    command: [b, "{A.x}", "{x}"]',
      '  - name: C',
      '    command: [c, "{B.y}", "{A.x}", "{D.z}"]',
      '  - name: D',
      '    after: A',
      '    command: [d, "{A.x}", "{B.y}", "{C.w}"]',
    ),
    [
      [8, 27, 'stages[1].command[2]', `stage "B": unknown placeholder {x} in "{x}"; valid placeholders: ${BUILTINS}, A.<column> ${BRACES}`],
      [10, 36, 'stages[2].command[3]', `stage "C": unknown placeholder {D.z} in "{D.z}"; valid placeholders: ${BUILTINS}, B.<column>, A.<column> ${BRACES}`],
      [13, 27, 'stages[3].command[2]', `stage "D": unknown placeholder {B.y} in "{B.y}"; valid placeholders: ${BUILTINS}, A.<column> ${BRACES}`],
      [13, 36, 'stages[3].command[3]', `stage "D": unknown placeholder {C.w} in "{C.w}"; valid placeholders: ${BUILTINS}, A.<column> ${BRACES}`],
    ],
  );
});

t.test('an issue in an inherited top-level value is located at the top-level key, named by the stage', async (t) => {
  t.same(
    stageIssues('name: chain', 'command: [sim, "{x}"]', 'stages:', '  - name: A', '    parameters: {x: 1}', '    sampling: {method: grid}', '  - name: B'),
    [[2, 16, 'command[1]', `stage "B": unknown placeholder {x} in "{x}"; valid placeholders: ${BUILTINS}, A.<column> ${BRACES}`]],
    'A has x; B inherits the command but not the parameters',
  );
});

t.test("the single-stage rules run on each stage, located at the stage's own keys", async (t) => {
  t.same(
    stageIssues(
      'name: s',
      'command: [a]',
      'executor: {type: slurm, resources: {time: "1:00:00"}}',
      'stages:',
      '  - name: A',
      '    parameters: {x: {uniform: [1, 0]}}',
      '    sampling: {method: grid}',
      '  - name: B',
      '    resources: {partition: "gpu\\n"}',
    ),
    [
      [6, 31, 'stages[0].parameters.x.uniform', 'stage "A": uniform range [1, 0] is empty: low (1) must be less than high (0); swap the bounds'],
      [6, 21, 'stages[0].parameters.x', `stage "A": parameter 'x' is continuous; grid sampling needs \`levels: N\` (or use values:)`],
      [9, 28, 'stages[1].resources.partition', 'stage "B": "gpu\\n" contains a newline; it is written into #SBATCH/#PBS directive lines of the job script, where a line break would start a new, unchecked directive — keep it on one line'],
    ],
  );
});

t.test('a top-level value that reaches a directive is located at its top-level key, not at a stage key', async (t) => {
  const issues = stageIssues(
    'name: "a\\nb"',
    'command: [a]',
    'executor:',
    '  resources: {partition: "bad\\n"}',
    'stages:',
    '  - name: A',
    '    parameters: {x: 1}',
    '    sampling: {method: grid}',
    '  - name: B',
    '    resources: {mem: 1G}',
  );
  t.same([...new Set(issues.map((i) => i[2]))].sort(), ['executor.resources.partition', 'name'], 'only the top-level keys are named', { found: issues });
  t.notOk(issues.some((i) => i[0] >= 6), 'no issue points into the stages, whose values are fine');
  t.equal(issues.length, new Set(issues.map((i) => `${i[0]}:${i[1]}:${i[3]}`)).size, 'each said once, not once per stage that inherits it');
  t.notOk(issues.some((i) => i[3].startsWith('stage ')), 'and not as a stage\'s: the value is the top level\'s');
});

t.test('normaliseStages: the top level, and one complete Config per stage', async (t) => {
  const text = [
    'name: chain',
    'ensemble_dir: ens',
    'command: [sim, "{x}"]',
    'env: {A: "1"}',
    'timeout: 10s',
    'inputs: {copy: [sim.py]}',
    'executor:',
    '  type: slurm',
    '  resources: {time: "1:00:00", mem: 1G}',
    'stages:',
    '  - name: A',
    '    parameters: {x: {uniform: [0, 1]}}',
    '    sampling: {method: lhs, samples: 4, seed: 5}',
    '  - name: B',
    '    command: [post, "{A.x}"]',
    '    depend: afterok',
    '    resources: {mem: 4G}',
    '    timeout: 1m',
    '  - name: C',
    '    after: A',
    '    command: [c, "{h}", "{A.x}"]',
    '    parameters: {h: [1, 2]}',
    '    sampling: {method: grid}',
    '  - name: D',
    '    command: [d, "{C.h}"]',
  ].join('\n');
  t.strictSame(validateConfig(text, '/x/c.yaml').issues, [], 'a valid config');
  const data = parseConfigSource(text, '/x/c.yaml').data!;
  const config = normaliseStages(data, '/x/c.yaml');
  const ens = join('/x', 'ens');

  t.equal(config.name, 'chain');
  t.equal(config.ensemble_dir, ens);
  t.strictSame(config.parameters, {}, 'the top level samples nothing');
  t.match(config.sampling, { method: 'list', points: [{}] });
  t.equal(config.stage, undefined);
  t.equal(config.stages?.length, 4);
  const [a, b, c, d] = config.stages!;

  t.same(a.stage, { name: 'A', after: null, depend: 'afterany' });
  t.same(b.stage, { name: 'B', after: 'A', depend: 'afterok' });
  t.same(c.stage, { name: 'C', after: 'A', depend: 'afterany' }, 'an explicit after');
  t.same(d.stage, { name: 'D', after: 'C', depend: 'afterany' }, 'after defaults to the stage listed before');
  t.same(config.stages!.map((s) => s.name), ['chain.A', 'chain.B', 'chain.C', 'chain.D']);
  t.same(config.stages!.map((s) => s.ensemble_dir), ['A', 'B', 'C', 'D'].map((n) => join(ens, 'stages', n)));

  t.same(a.command, ['sim', '{x}'], 'the top-level command is inherited');
  t.same(b.command, ['post', '{A.x}'], "a stage's own command wins");
  t.same(config.stages!.map((s) => s.timeout), [10, 60, 10, 10]);
  t.same(config.stages!.map((s) => s.env), [{ A: '1' }, { A: '1' }, { A: '1' }, { A: '1' }]);
  t.same(a.inputs.copy, [join('/x', 'sim.py')], 'paths relative to the config file');
  t.same(config.stages!.map((s) => s.executor.type), ['slurm', 'slurm', 'slurm', 'slurm']);
  t.same(a.executor.resources, { time: '1:00:00', mem: '1G' });
  t.same(b.executor.resources, { time: '1:00:00', mem: '4G' }, "the stage's resources over the top-level ones");
  t.same(c.executor.resources, a.executor.resources);

  t.same(a.parameters, { x: { kind: 'uniform', low: 0, high: 1 } });
  t.same(a.sampling, { method: 'lhs', samples: 4, seed: 5 });
  t.same(c.parameters, { h: { kind: 'values', values: [1, 2] } });
  t.same(c.sampling, { method: 'grid', seed: 0 }, "a stage's own sampling, with its own default seed");
  t.same(b.parameters, {});
  t.same(b.sampling, { method: 'list', points: [{}], seed: 6 }, 'a runner: one empty point; seed = the design seed + stage index');
  t.same(d.sampling, { method: 'list', points: [{}], seed: 8 });
});

t.test('normaliseStages: a design without a seed gives runner seeds from 0', async (t) => {
  const text = 'name: n\ncommand: [a]\nstages:\n  - name: A\n    parameters: {x: 1}\n    sampling: {method: grid}\n  - name: B\n';
  t.strictSame(validateConfig(text, '/x/c.yaml').issues, []);
  const config = normaliseStages(parseConfigSource(text, '/x/c.yaml').data!, '/x/c.yaml');
  t.same(config.stages![1].sampling.seed, 1);
  t.same(config.command, ['a']);
  t.equal(config.ensemble_dir, join('/x', 'runs', 'n'), 'the default ensemble directory');
  t.equal(config.stages![0].ensemble_dir, join('/x', 'runs', 'n', 'stages', 'A'));
});

t.test('normaliseStages: without a top-level command the top level has an empty one', async (t) => {
  const text = 'name: n\nstages:\n  - name: A\n    command: [a]\n    parameters: {x: 1}\n    sampling: {method: grid}\n';
  const config = normaliseStages(parseConfigSource(text, '/x/c.yaml').data!, '/x/c.yaml');
  t.same(config.command, []);
  t.same(config.stages![0].command, ['a']);
});
