// Tests of validateConfig: every malformed fixture in test/fixtures/configs/bad/ is reported at the right line and key path.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { formatIssue } from '../../src/errors.js';
import { validateConfig } from '../../src/config/validate.js';

const BAD_DIR = fileURLToPath(new URL('../fixtures/configs/bad/', import.meta.url));

interface Expected {
  line: number;
  path: string;
  says: string;
  /** How many issues the fixture yields in all (default 1: one mistake, one issue). */
  count?: number;
}

const BAD: Record<string, Expected> = {
  'adaptive-placeholder.yaml': { line: 6, path: 'adaptive.command[3]', says: "unknown placeholder {x} in \"{x}\"; the proposer's placeholders are dataset, dataset_csv, count, round, ensemble" },
  'adaptive-budget.yaml': { line: 7, path: 'adaptive.budget', says: 'adaptive.budget 16 is the total number of tasks, the 16 sampled points included' },
  'stages-host.yaml': { line: 3, path: 'executor.host', says: 'stages are not supported over SSH yet' },
  'stages-first-depend.yaml': { line: 5, path: 'stages[0].depend', says: 'the first stage has no stage before it: remove `depend`' },
  'stages-after-unknown.yaml': { line: 8, path: 'stages[1].after', says: 'no earlier stage is named "corse"; a stage follows one listed before it (coarse)', count: 2 },
  'stages-placeholder.yaml': { line: 8, path: 'stages[1].command[2]', says: 'stage "fine": unknown placeholder {fine.y}' },
  'stages-top-parameters.yaml': { line: 3, path: 'parameters', says: 'with stages, parameters belongs to a stage', count: 2 },
  'stages-no-command.yaml': { line: 7, path: 'stages[1]', says: 'stage "post" has no command, and there is no top-level command to inherit' },
  'stages-bad-name.yaml': { line: 4, path: 'stages[0].name', says: 'starting with a letter or' },
  'stages-rule-in-stage.yaml': { line: 5, path: 'stages[0].parameters.x.uniform', says: 'stage "coarse": uniform range [1, 0] is empty' },
  'unknown-key-typo.yaml': { line: 3, path: 'comand', says: "unknown key 'comand'; valid keys here: name, ensemble_dir, command," },
  'unknown-key-top.yaml': { line: 7, path: 'executr', says: "did you mean 'executor'?" },
  'unknown-key-resources.yaml': { line: 11, path: 'executor.resources.memory', says: "unknown key 'memory'; valid keys here: time, mem, cpus" },
  'unknown-key-param.yaml': { line: 5, path: 'parameters.alpha.unifrom', says: "did you mean 'uniform'?" },
  'yaml-syntax.yaml': { line: 4, path: '', says: 'YAML syntax: flow sequence' },
  'tab-indent.yaml': { line: 5, path: '', says: 'a tab is used for indentation' },
  'duplicate-key.yaml': { line: 10, path: 'sampling.seed', says: "duplicate key 'seed'" },
  'multi-doc.yaml': { line: 7, path: '', says: 'more than one YAML document' },
  'unresolved-alias.yaml': { line: 5, path: 'parameters.alpha', says: 'alias *range refers to no anchor &range' },
  'empty.yaml': { line: 1, path: '', says: 'the config is empty' },
  'root-list.yaml': { line: 1, path: '', says: 'the top level must be a mapping of keys (name: ..., command: ...), found a list' },
  'missing-command.yaml': { line: 2, path: 'command', says: "missing required key 'command'; add it — the argv to run" },
  'missing-method.yaml': { line: 6, path: 'sampling.method', says: "missing required key 'method'" },
  'command-string.yaml': {
    line: 3,
    path: 'command',
    says: 'command must be a list of arguments (argv), e.g. [python3, sim.py, --alpha, "{alpha}"]; arrayflow never runs it through a shell',
  },
  'unknown-placeholder.yaml': { line: 7, path: 'command[3]', says: 'unknown placeholder {alpah} in "{alpah}"; valid placeholders: alpha, task_id, task_seed, attempt, scratch; did you mean {alpha}?' },
  'unbalanced-brace.yaml': { line: 3, path: 'command[3]', says: "write '{{' for a literal '{'" },
  'env-bad-name.yaml': { line: 6, path: 'env.2FAST', says: "name '2FAST' is not valid" },
  'bad-name.yaml': { line: 2, path: 'name', says: 'the string "my sweep" is not valid; use 1-64 letters' },
  'result-absolute.yaml': { line: 5, path: 'result.file', says: 'relative path inside the scratch directory' },
  'keep-bad.yaml': { line: 4, path: 'keep', says: 'the string "some" is not one of all, none' },
  'bad-timeout.yaml': { line: 4, path: 'timeout', says: 'the string "ten minutes" is not valid; write seconds (90) or a duration' },
  'no-parameters.yaml': { line: 4, path: 'parameters', says: 'needs at least 1 entry, found none' },
  'param-empty.yaml': { line: 5, path: 'parameters.alpha', says: 'found nothing (an empty value); give a domain such as' },
  'reserved-param.yaml': { line: 6, path: 'parameters.status', says: "name 'status' cannot be used: this name is reserved" },
  'two-kinds.yaml': { line: 5, path: 'parameters.alpha', says: "has both 'uniform' and 'values'; give exactly one of" },
  'uniform-empty-range.yaml': { line: 6, path: 'parameters.alpha.uniform', says: 'uniform range [1, 0.5] is empty: low (1) must be less than high (0.5)' },
  'uniform-three-bounds.yaml': { line: 5, path: 'parameters.alpha.uniform', says: 'needs exactly 2 items, found 3 items; write [low, high]' },
  'uniform-bound-string.yaml': { line: 5, path: 'parameters.alpha.uniform[1]', says: 'expected a number, found the string "1.0"' },
  'loguniform-nonpositive.yaml': { line: 5, path: 'parameters.rate.loguniform', says: 'loguniform range [0, 1] needs 0 < low, found low = 0' },
  'int-not-integer.yaml': { line: 5, path: 'parameters.n.int[0]', says: 'expected an integer, found the number 1.5' },
  'values-empty.yaml': { line: 6, path: 'parameters.mode.values', says: 'needs at least 1 item, found an empty list' },
  'levels-on-int.yaml': { line: 5, path: 'parameters.n.levels', says: 'levels applies only to uniform and loguniform' },
  'grid-continuous.yaml': { line: 6, path: 'parameters.alpha', says: "parameter 'alpha' is continuous; grid sampling needs `levels: N` (or use values:)" },
  'lhs-no-samples.yaml': { line: 6, path: 'sampling.samples', says: "method 'lhs' draws as many points as you ask for; add samples: N" },
  'list-no-source.yaml': { line: 6, path: 'sampling', says: "method 'list' needs its points: add file:" },
  'list-both-sources.yaml': { line: 9, path: 'sampling.points', says: 'give either file or points' },
  'scramble-not-sobol.yaml': { line: 9, path: 'sampling.scramble', says: "scramble applies only to method 'sobol' (method is 'lhs')" },
  'dataset-format.yaml': { line: 8, path: 'dataset.formats[1]', says: 'the string "h5" is not one of parquet, csv, hdf5; did you mean \'hdf5\'?' },
  'bad-method.yaml': { line: 6, path: 'sampling.method', says: 'the string "lsh" is not one of grid, list, random, lhs, sobol; did you mean \'lhs\'?' },
  'negative-seed.yaml': { line: 9, path: 'sampling.seed', says: 'must be at least 0, found the number -1' },
  'samples-wrong-type.yaml': { line: 8, path: 'sampling.samples', says: 'expected an integer, found the string "many"' },
  'bad-executor-type.yaml': { line: 8, path: 'executor.type', says: "did you mean 'slurm'?" },
  'dialect-not-pbs.yaml': { line: 9, path: 'executor.dialect', says: "dialect applies only to type pbs (type is 'slurm')" },
  'newline-partition.yaml': { line: 10, path: 'executor.resources.partition', says: '"debug\\n#SBATCH --account=someone-else" contains a newline; it is written into #SBATCH/#PBS directive lines' },
  'nul-in-extra.yaml': { line: 11, path: 'executor.resources.extra.constraint', says: 'contains a NUL character' },
  'extra-bad-key.yaml': { line: 10, path: 'executor.resources.extra.Constraint', says: "name 'Constraint' is not valid; directive names are lowercase" },
  'bad-time.yaml': { line: 9, path: 'executor.resources.time', says: 'the string "10 minutes" is not valid; use a Slurm time' },
  'bad-mem.yaml': { line: 11, path: 'executor.resources.mem', says: 'the string "2GiB" is not valid; write a number with an optional unit K, M, G or T' },
  'bad-gpus.yaml': { line: 9, path: 'executor.resources.gpus', says: 'write a count (2) or type:count (a100:2)' },
  'parallel-gt-bundle.yaml': { line: 11, path: 'executor.array.parallel', says: 'parallel (4) is greater than bundle (2)' },
  'setup-newline.yaml': { line: 11, path: 'executor.setup[1]', says: 'setup line 2 contains a line break at character 25; each setup item is written as one line of the job script' },
  'bad-expected-task-time.yaml': { line: 4, path: 'expected_task_time', says: 'the string "5" is not valid; write seconds (90), a duration such as 90s' },
  'bad-target-element-time.yaml': { line: 9, path: 'executor.array.target_element_time', says: 'must be greater than 0, found the number 0' },
};

t.test('every fixture has an expectation and every expectation a fixture', async (t) => {
  t.strictSame(readdirSync(BAD_DIR).filter((f) => f.endsWith('.yaml')).sort(), Object.keys(BAD).sort());
  t.ok(Object.keys(BAD).length >= 24);
});

for (const [name, want] of Object.entries(BAD)) {
  t.test(name, async (t) => {
    const file = `test/fixtures/configs/bad/${name}`;
    const { config, issues } = validateConfig(readFileSync(BAD_DIR + name, 'utf8'), file);
    t.equal(config, null, 'no config');
    t.equal(issues.length, want.count ?? 1, 'issue count');
    const hit = issues.find((i) => i.line === want.line && i.path === want.path && i.message.includes(want.says));
    t.ok(hit, `an issue at line ${want.line}, path '${want.path}', saying ${JSON.stringify(want.says)}`, {
      found: issues,
    });
    for (const i of issues) {
      const text = formatIssue(i);
      t.match(text, new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
      t.notMatch(text, /at Object\.|at .*\(.*:\d+:\d+\)|\n/, 'one line, no stack frames');
      t.notMatch(text, /must have required property|must be equal to one of|must match pattern|must NOT have/, 'no raw ajv wording');
      t.ok(i.col >= 1 && i.line >= 1);
    }
  });
}

t.test('a bad dataset format is refused at its file:line:col', async (t) => {
  const file = 'test/fixtures/configs/bad/dataset-format.yaml';
  const { issues } = validateConfig(readFileSync(BAD_DIR + 'dataset-format.yaml', 'utf8'), file);
  t.strictSame(issues.map(formatIssue), [`${file}:8:22: dataset.formats[1]: the string "h5" is not one of parquet, csv, hdf5; did you mean 'hdf5'?`]);
});

t.test('all issues are reported at once', async (t) => {
  const text = [
    'name: s',
    'command: [run, "{nope}"]',
    'parameters:',
    '  a: { uniform: [1, 0] }',
    '  b: { loguniform: [-1, 2] }',
    'sampling: { method: sobol, seed: -2 }',
    'executor: { type: slurm, resources: { mem: lots, cpus: 0 }, array: { bundle: 2, parallel: 3 } }',
    'extra_key: 1',
  ].join('\n');
  const { config, issues } = validateConfig(text, 'c.yaml');
  t.equal(config, null);
  t.strictSame(
    issues.map((i) => `${i.line} ${i.path}`),
    [
      '2 command[1]',
      '4 parameters.a.uniform',
      '5 parameters.b.loguniform',
      '6 sampling.samples',
      '6 sampling.seed',
      '7 executor.resources.mem',
      '7 executor.resources.cpus',
      '7 executor.array.parallel',
      '8 extra_key',
    ],
  );
});

t.test('a misspelt required key is reported once, as unknown with a suggestion', async (t) => {
  const { issues } = validateConfig(
    'name: s\ncommand: [a]\nparameters: {x: 1}\nsampling: {methdo: grid}\n',
    'c.yaml',
  );
  t.equal(issues.length, 1);
  t.match(issues[0].message, /unknown key 'methdo'.*did you mean 'method'\?/);
});

t.test('control characters in keys are shown escaped and the message stays on one line', async (t) => {
  const { issues } = validateConfig(
    'name: s\ncommand: [a]\nparameters: {x: 1}\nsampling: {method: grid}\nexecutor: {resources: {"bad\\nkey": 1}}\n',
    'c.yaml',
  );
  t.equal(issues.length, 1);
  t.equal(issues[0].path, 'executor.resources["bad\\nkey"]');
  t.notMatch(formatIssue(issues[0]), /\n/);
});

t.test('non-finite numbers are rejected by the schema', async (t) => {
  const { issues } = validateConfig(
    'name: s\ncommand: [a]\nparameters: {x: {uniform: [0, .inf]}}\nsampling: {method: lhs, samples: 2}\n',
    'c.yaml',
  );
  t.equal(issues.length, 1);
  t.equal(issues[0].path, 'parameters.x.uniform[1]');
  t.match(issues[0].message, /Infinity \(not a finite number\)/);
});

t.test('validateConfig does no I/O: missing inputs are not its concern', async (t) => {
  const { config, issues } = validateConfig(
    'name: s\ncommand: [a]\ninputs: {copy: [nowhere.py], dir: nowhere/}\nparameters: {x: 1}\nsampling: {method: list, file: nowhere.csv}\n',
    '/x/c.yaml',
  );
  t.strictSame(issues, []);
  t.equal(config?.inputs.copy[0], '/x/nowhere.py');
  t.equal(config?.sampling.file, '/x/nowhere.csv');
});

t.test('the examples in docs/config.md validate', async (t) => {
  const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => /^name:/m.test(b));
  t.ok(blocks.length >= 2);
  for (const b of blocks) t.strictSame(validateConfig(b, 'docs/example.yaml').issues, [], b.split('\n')[1]);
});

t.test('a parameter named __proto__ is refused where it is written (it validated, then sampling threw an unlocated DataError)', async (t) => {
  const { config, issues } = validateConfig('name: s\ncommand: [echo, "{__proto__}"]\nparameters: {__proto__: [1, 2]}\nsampling: {method: grid}\n', 'c.yaml');
  t.equal(config, null);
  t.match(issues, [{ file: 'c.yaml', line: 3, col: 14, path: 'parameters.__proto__', message: /^name '__proto__' cannot be used: .*reserved .*by JavaScript/ }]);
});

t.test('seed, samples and replicates past 2^53 are refused where they are written (a seed of 2^53 validated, then sampling refused it unlocated; fuzz counterexample)', async (t) => {
  const { issues } = validateConfig('name: s\ncommand: [echo]\nparameters: {a: [1]}\nsampling: {method: random, seed: 9007199254740992, samples: 1e20, replicates: 1e300}\n', 'c.yaml');
  t.match(
    issues.map((i) => [i.line, i.path, i.message]),
    [
      [4, 'sampling.seed', /^must be at most 9007199254740991, found the number 9007199254740992; a whole number from 0 to 2\^53/],
      [4, 'sampling.samples', 'must be at most 9007199254740991, found the number 100000000000000000000'],
      [4, 'sampling.replicates', /^must be at most 9007199254740991/],
    ],
  );
});
