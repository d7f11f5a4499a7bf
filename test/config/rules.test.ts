// The cross-field rules, each called directly on a small parsed config: the issue's line, column, key path and message.
import t from 'tap';
import * as rules from '../../src/config/rules.js';
import {
  RULES,
  adaptiveBudgetAboveDesign,
  adaptivePlaceholdersAreKnown,
  datasetCsvForProposer,
  datasetKeepsParquet,
  dialectOnlyForPbs,
  directivesAreSingleLine,
  expectedWithinTimeout,
  gridNeedsDiscreteParameters,
  hostNeedsRemoteDir,
  levelsOnlyOnContinuous,
  listHasOneSource,
  parallelWithinBundle,
  placeholdersAreKnown,
  placeholdersKnown,
  rangesAreNonEmpty,
  retryOnNotCancelled,
  samplesForDrawnMethods,
  scrambleOnlyForSobol,
  setupLinesAreSingleLine,
  type Rule,
} from '../../src/config/rules.js';
import { type Located, locatedIssues } from '../helpers/config-issues.js';

/** The issues `rule` finds in the YAML `lines`. */
const check = (rule: Rule, ...lines: string[]): Located[] => locatedIssues(rule, lines);

const VALID = 'alpha, task_id, task_seed, attempt, scratch';
const BRACES = '(write {{ and }} for literal braces)';

t.test('placeholdersAreKnown: unknown names (with a suggestion) and stray braces, in command and env', async (t) => {
  t.same(
    check(
      placeholdersAreKnown,
      'name: s',
      'command:',
      '  - sim',
      '  - "{alpah}"',
      '  - "{{literal}} {task_seed} {scratch} {alpha}"',
      '  - "x{oops"',
      'parameters:',
      '  alpha: 1',
      'env:',
      '  TAG: "{beta}-{attempt}"',
      '  N: 3',
    ),
    [
      [4, 5, 'command[1]', `unknown placeholder {alpah} in "{alpah}"; valid placeholders: ${VALID}; did you mean {alpha}? ${BRACES}`],
      [6, 5, 'command[3]', `"x{oops": '{' at character 2 does not start a placeholder like {alpha}; write '{{' for a literal '{'`],
      [10, 8, 'env.TAG', `unknown placeholder {beta} in "{beta}-{attempt}"; valid placeholders: ${VALID} ${BRACES}`],
    ],
  );
  t.same(check(placeholdersAreKnown, 'command: "{x}"', 'env: [1]'), [], 'a command that is no list and env that is no mapping are the schema\'s concern');
});

t.test('placeholdersKnown(upstream): `<stage>.<column>` of an upstream stage is known, other stages are not', async (t) => {
  const issues = check(
    placeholdersKnown(['coarse', 'first']),
    'command: [sim, "{coarse.peak}", "{first.a.b}", "{fine.y}", "{coarse}"]',
    'parameters: {alpha: 1}',
  );
  const listed = `${VALID}, coarse.<column>, first.<column>`;
  t.same(issues, [
    [1, 48, 'command[3]', `unknown placeholder {fine.y} in "{fine.y}"; valid placeholders: ${listed} ${BRACES}`],
    [1, 60, 'command[4]', `unknown placeholder {coarse} in "{coarse}"; valid placeholders: ${listed} ${BRACES}`],
  ]);
  t.same(check(placeholdersAreKnown, 'command: [sim, "{coarse.peak}"]').map((i) => i[2]), ['command[1]'], 'without stages no dotted name is known');
});

t.test("adaptivePlaceholdersAreKnown: only the proposer's own placeholders", async (t) => {
  t.same(
    check(adaptivePlaceholdersAreKnown, 'adaptive:', '  command:', '    - propose', '    - "{dataset}"', '    - "{cnt}"', '    - "{round"', '    - "{alpha}"'),
    [
      [5, 7, 'adaptive.command[2]', "unknown placeholder {cnt} in \"{cnt}\"; the proposer's placeholders are dataset, dataset_csv, count, round, ensemble; did you mean {count}?"],
      [6, 7, 'adaptive.command[3]', `"{round": '{' at character 1 does not start a placeholder like {alpha}; write '{{' for a literal '{'`],
      [7, 7, 'adaptive.command[4]', "unknown placeholder {alpha} in \"{alpha}\"; the proposer's placeholders are dataset, dataset_csv, count, round, ensemble"],
    ],
  );
  t.same(check(adaptivePlaceholdersAreKnown, 'adaptive: {command: "{x}"}'), []);
  t.same(check(adaptivePlaceholdersAreKnown, 'command: ["{count}"]'), [], 'the main command is not its business');
});

t.test('adaptiveBudgetAboveDesign: the budget must exceed the sampled points', async (t) => {
  t.same(check(adaptiveBudgetAboveDesign, 'sampling: {method: lhs, samples: 16}', 'adaptive:', '  budget: 16'), [
    [3, 11, 'adaptive.budget', 'adaptive.budget 16 is the total number of tasks, the 16 sampled points included: set it above 16 for any adaptive round to run'],
  ]);
  t.equal(check(adaptiveBudgetAboveDesign, 'sampling: {method: lhs, samples: 16}', 'adaptive: {budget: 3}').length, 1, 'below as well');
  t.same(check(adaptiveBudgetAboveDesign, 'sampling: {method: lhs, samples: 16}', 'adaptive: {budget: 17}'), []);
  t.same(check(adaptiveBudgetAboveDesign, 'sampling: {method: grid}', 'adaptive: {budget: 1}'), [], 'no samples to compare with');
});

t.test('datasetKeepsParquet: formats without parquet, located at the list', async (t) => {
  t.same(check(datasetKeepsParquet, 'dataset:', '  formats: [csv, hdf5]'), [
    [2, 12, 'dataset.formats', '["csv", "hdf5"] leaves out parquet, which arrayflow reads back (summary, report, adaptive rounds); add it, e.g. ["parquet", "csv", "hdf5"]'],
  ]);
  t.same(check(datasetKeepsParquet, 'dataset: {formats: [hdf5, parquet]}'), []);
  t.same(check(datasetKeepsParquet, 'dataset: {formats: []}'), [], 'an empty list is the schema\'s to report');
  t.same(check(datasetKeepsParquet, 'dataset: {compression: zstd}'), [], 'the default formats have it');
});

t.test('datasetCsvForProposer: {dataset_csv} needs csv among the formats', async (t) => {
  t.same(check(datasetCsvForProposer, 'dataset: {formats: [parquet, hdf5]}', 'adaptive:', '  command: [propose, "{dataset}", "--csv={dataset_csv}"]'), [
    [3, 35, 'adaptive.command[2]', '"--csv={dataset_csv}" reads dataset.csv, but dataset.formats ["parquet", "hdf5"] does not write it; add csv to dataset.formats, or pass {dataset} (Parquet)'],
  ]);
  t.same(check(datasetCsvForProposer, 'dataset: {formats: [parquet]}', 'adaptive: {command: [propose, "{dataset}"]}'), []);
  t.same(check(datasetCsvForProposer, 'adaptive: {command: [propose, "{dataset_csv}"]}'), [], 'the default formats have csv');
});

t.test('rangesAreNonEmpty: empty ranges, constants, and a loguniform low at or below 0', async (t) => {
  t.same(
    check(
      rangesAreNonEmpty,
      'parameters:',
      '  a: {uniform: [1, 0]}',
      '  b: {uniform: [2, 2]}',
      '  c: {loguniform: [0, 1]}',
      '  d: {int: [3, 3]}',
      '  e: {int: [4, 3]}',
      '  f: {uniform: [0, .inf]}',
      '  g: {uniform: [0, 1, 2]}',
      '  h: {loguniform: [-2, -3]}',
      '  i: {uniform: ["0", 1]}',
    ),
    [
      [2, 16, 'parameters.a.uniform', 'uniform range [1, 0] is empty: low (1) must be less than high (0); swap the bounds'],
      [3, 16, 'parameters.b.uniform', 'uniform range [2, 2] is empty: low (2) must be less than high (2); for a constant write value: 2'],
      [4, 19, 'parameters.c.loguniform', 'loguniform range [0, 1] needs 0 < low, found low = 0; a log scale has no zero or negatives — use a small positive low such as 1e-6, or uniform'],
      [6, 12, 'parameters.e.int', 'int range [4, 3] is empty: low (4) must be at most high (3); swap the bounds'],
      [9, 19, 'parameters.h.loguniform', 'loguniform range [-2, -3] is empty: low (-2) must be less than high (-3); swap the bounds'],
    ],
  );
});

t.test('levelsOnlyOnContinuous: levels on int, values or value', async (t) => {
  t.same(
    check(levelsOnlyOnContinuous, 'parameters:', '  n: {int: [1, 5], levels: 3}', '  x: {uniform: [0, 1], levels: 3}', '  m:', '    values: [a, b]', '    levels: 2', '  k: {levels: 2}'),
    [
      [2, 28, 'parameters.n.levels', "levels applies only to uniform and loguniform; 'n' uses int, which is already discrete — remove levels"],
      [6, 13, 'parameters.m.levels', "levels applies only to uniform and loguniform; 'm' uses values, which is already discrete — remove levels"],
    ],
  );
});

t.test('samplesForDrawnMethods: random, lhs and sobol need samples; the issue sits at the sampling key', async (t) => {
  for (const method of ['random', 'lhs', 'sobol']) {
    t.same(check(samplesForDrawnMethods, 'name: s', 'sampling:', `  method: ${method}`), [
      [2, 1, 'sampling.samples', `method '${method}' draws as many points as you ask for; add samples: N (e.g. samples: 100)`],
    ]);
  }
  t.same(check(samplesForDrawnMethods, 'sampling: {method: sobol, samples: 8}'), []);
  t.same(check(samplesForDrawnMethods, 'sampling: {method: grid}'), []);
});

t.test('gridNeedsDiscreteParameters: continuous parameters of a grid need levels', async (t) => {
  const params = ['parameters:', '  x: {uniform: [0, 1]}', '  y: {loguniform: [1, 2], levels: 4}', '  z: [1, 2]', '  w: {loguniform: [1, 2]}'];
  t.same(check(gridNeedsDiscreteParameters, ...params, 'sampling: {method: grid}'), [
    [2, 6, 'parameters.x', "parameter 'x' is continuous; grid sampling needs `levels: N` (or use values:)"],
    [5, 6, 'parameters.w', "parameter 'w' is continuous; grid sampling needs `levels: N` (or use values:)"],
  ]);
  t.same(check(gridNeedsDiscreteParameters, ...params, 'sampling: {method: lhs, samples: 4}'), []);
});

t.test('listHasOneSource: list takes exactly one of file and points; other methods neither', async (t) => {
  t.same(check(listHasOneSource, 'sampling:', '  method: list', '  file: p.csv', '  points: [{x: 1}]'), [
    [4, 11, 'sampling.points', 'give either file or points for method list, not both; remove one'],
  ]);
  t.same(check(listHasOneSource, 'sampling:', '  method: list'), [
    [1, 1, 'sampling', "method 'list' needs its points: add file: points.csv (CSV or JSON) or points: [{alpha: 0.1}, …]"],
  ]);
  t.same(check(listHasOneSource, 'sampling:', '  method: lhs', '  file: p.csv', '  points: [{x: 1}]'), [
    [3, 3, 'sampling.file', "file is used only by method 'list' (method is 'lhs'); remove it or set method: list"],
    [4, 3, 'sampling.points', "points is used only by method 'list' (method is 'lhs'); remove it or set method: list"],
  ]);
  t.same(check(listHasOneSource, 'sampling: {method: list, file: p.csv}'), []);
  t.same(check(listHasOneSource, 'sampling: {method: list, points: []}'), [], 'an empty list of points is the schema\'s concern');
});

t.test('scrambleOnlyForSobol: the issue sits at the scramble key', async (t) => {
  t.same(check(scrambleOnlyForSobol, 'sampling:', '  method: lhs', '  scramble: true'), [
    [3, 3, 'sampling.scramble', "scramble applies only to method 'sobol' (method is 'lhs'); remove it"],
  ]);
  t.same(check(scrambleOnlyForSobol, 'sampling: {method: lhs, scramble: false}').length, 1, 'even when false');
  t.same(check(scrambleOnlyForSobol, 'sampling: {method: sobol, scramble: true}'), []);
});

t.test('parallelWithinBundle: parallel at most an explicit bundle (a chosen one is at least parallel)', async (t) => {
  t.same(check(parallelWithinBundle, 'executor:', '  array:', '    parallel: 3', '    bundle: 2'), [
    [3, 15, 'executor.array.parallel', 'parallel (3) is greater than bundle (2); an array element runs only bundle tasks — raise bundle, lower parallel, or leave bundle out to have it chosen'],
  ]);
  t.same(check(parallelWithinBundle, 'executor:', '  array:', '    parallel: 3'), [], 'no bundle: it is chosen, at least parallel');
  t.same(check(parallelWithinBundle, 'executor: {array: {parallel: 3, bundle: 3}}'), []);
  t.same(check(parallelWithinBundle, 'executor: {array: {parallel: 1}}'), []);
});

t.test('dialectOnlyForPbs: the type defaults to local', async (t) => {
  t.same(check(dialectOnlyForPbs, 'executor:', '  dialect: torque'), [
    [2, 3, 'executor.dialect', "dialect applies only to type pbs (type is 'local'); remove it"],
  ]);
  t.same(check(dialectOnlyForPbs, 'executor: {type: slurm, dialect: pro}').map((i) => i[3]), ["dialect applies only to type pbs (type is 'slurm'); remove it"]);
  t.same(check(dialectOnlyForPbs, 'executor: {type: pbs, dialect: torque}'), []);
});

t.test('retryOnNotCancelled: a cancel is not retried automatically, so retry_on may not list it', async (t) => {
  t.same(check(retryOnNotCancelled, 'executor:', '  retries: 2', '  retry_on: [timeout, cancelled]'), [
    [3, 23, 'executor.retry_on[1]', '"cancelled" is never retried automatically (scancel, qdel and `arrayflow cancel` are decisions to stop): remove it; `arrayflow retry <ensemble> --failed --reason cancelled` runs cancelled tasks again'],
  ]);
  t.same(check(retryOnNotCancelled, 'executor: {retries: 1, retry_on: [timeout, preempted]}'), []);
  t.same(check(retryOnNotCancelled, 'executor: {retries: 1}'), []);
});

t.test('directivesAreSingleLine: newline, carriage return and NUL in values and keys that reach directives', async (t) => {
  const tail = 'it is written into #SBATCH/#PBS directive lines of the job script, where';
  const lineBreak = 'a line break would start a new, unchecked directive — keep it on one line';
  t.same(
    check(
      directivesAreSingleLine,
      'name: "a\\nb"',
      'executor:',
      '  resources:',
      '    partition: "debug\\r"',
      '    extra:',
      '      "con\\0straint": x',
      '      account: [ok, "bad\\nitem"]',
      '  host: fine',
      '  remote: {dir: "/x\\0"}',
      'command: ["multi\\nline"]',
    ),
    [
      [1, 7, 'name', `"a\\nb" contains a newline; ${tail} ${lineBreak}`],
      [4, 16, 'executor.resources.partition', `"debug\\r" contains a carriage return; ${tail} ${lineBreak}`],
      [6, 7, 'executor.resources.extra["con\\u0000straint"]', `this key contains a NUL character; ${tail} a NUL byte cuts the line short — remove it`],
      [7, 21, 'executor.resources.extra.account[1]', `"bad\\nitem" contains a newline; ${tail} ${lineBreak}`],
      [9, 17, 'executor.remote.dir', `"/x\\u0000" contains a NUL character; ${tail} a NUL byte cuts the line short — remove it`],
    ],
    'the command is an argv, not a directive',
  );
});

t.test('setupLinesAreSingleLine: a line break, carriage return or NUL inside a setup item, located at the item', async (t) => {
  const tail = 'each setup item is written as one line of the job script — split it into separate items';
  t.same(
    check(
      setupLinesAreSingleLine,
      'executor:',
      '  setup:',
      '    - module load python/3.11',
      '    - "source venv/bin/activate\\nrm -rf ~"',
      '    - "cd /x\\r"',
      '    - "a\\0b"',
      '    - 42',
      '    - "echo \'$HOME\' | tee \\"x y\\" ; set -e"',
    ),
    [
      [4, 7, 'executor.setup[1]', `setup line 2 contains a line break at character 25; ${tail}`],
      [5, 7, 'executor.setup[2]', `setup line 3 contains a carriage return at character 6; ${tail}`],
      [6, 7, 'executor.setup[3]', `setup line 4 contains a NUL character at character 2; ${tail}`],
    ],
    'quotes, pipes and $ are the user\'s shell: not rejected; a number is the schema\'s business',
  );
  t.same(check(setupLinesAreSingleLine, 'executor: {setup: "one string"}'), []);
  t.same(check(setupLinesAreSingleLine, 'name: x'), []);
});

t.test('hostNeedsRemoteDir: a host without remote.dir, with the config name in the hint', async (t) => {
  t.same(check(hostNeedsRemoteDir, 'name: dune', 'executor:', '  host: alice@login'), [
    [3, 9, 'executor.host', 'host "alice@login" needs remote.dir, the ensemble directory on the cluster\'s shared filesystem; add remote: {dir: /scratch/<you>/dune}'],
  ]);
  t.match(check(hostNeedsRemoteDir, 'executor: {host: h}')[0][3], /\/scratch\/<you>\/sweep\}$/, 'without a name');
  t.same(check(hostNeedsRemoteDir, 'executor: {host: h, remote: {dir: /s}}'), []);
});

t.test('expectedWithinTimeout: a task expected to outlast its timeout, in any duration form', async (t) => {
  t.same(check(expectedWithinTimeout, 'timeout: 20s', 'expected_task_time: 60s'), [
    [2, 21, 'expected_task_time', 'expected_task_time "60s" is longer than timeout "20s": every task would be killed at its time limit; raise timeout or lower expected_task_time'],
  ]);
  t.equal(check(expectedWithinTimeout, 'timeout: "00:01:00"', 'expected_task_time: 2m').length, 1, 'Slurm time syntax against a unit');
  t.same(check(expectedWithinTimeout, 'timeout: 60', 'expected_task_time: 60s'), [], 'equal is fine');
  t.same(check(expectedWithinTimeout, 'expected_task_time: 5h'), [], 'no timeout');
  t.same(check(expectedWithinTimeout, 'timeout: soon', 'expected_task_time: 5h'), [], 'a bad duration is the schema\'s to report');
});

t.test('RULES lists every rule once, under its own exported name', async (t) => {
  const exported = Object.entries(rules).filter(([, v]) => typeof v === 'function' && v !== placeholdersKnown);
  t.equal(RULES.length, exported.length, 'as many rules as exported rule functions');
  for (const [name, rule] of RULES) t.equal(rule, (rules as Record<string, unknown>)[name], name);
  t.equal(new Set(RULES.map(([n]) => n)).size, RULES.length);
});

t.test('every rule accepts data of the wrong types without throwing (the schema reports those)', async (t) => {
  const weird = [
    'parameters: x',
    'sampling: 3',
    'executor: [1]',
    'command: text',
    'env: null',
    'adaptive: x',
    'dataset: {formats: parquet}\nadaptive: {command: [1]}',
    'dataset: [1]',
    'name: 7',
    'executor: {setup: [1, null, {a: b}, [x]]}',
    'parameters: {a: null, b: [1, 2], c: {uniform: x}, d: {int: [a, b]}}\nsampling: {method: 5}\nexecutor: {array: 2, type: 9, host: [h]}',
  ];
  for (const text of weird) for (const [name, rule] of RULES) t.same(check(rule, text), [], `${name}: ${text.split('\n')[0]}`);
});
