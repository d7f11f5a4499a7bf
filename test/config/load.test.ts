// Tests of readConfig: reading the file, and the I/O checks on the files a config names.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

t.test('the quick start reads', async (t) => {
  const config = await readConfig(path.join(ROOT, 'configs/quickstart.yaml'));
  t.equal(config.name, 'quickstart');
  t.equal(config.inputs.copy[0], path.join(ROOT, 'examples/quickstart/sim.mjs'));
});

t.test('a missing config file is a ConfigError naming the path', async (t) => {
  const dir = t.testdir({});
  const file = path.join(dir, 'nope.yaml');
  await t.rejects(readConfig(file), {
    name: 'ConfigError',
    code: 'E_CONFIG',
    message: `${file}:1:1: config file ${file}: no such file; check the path (it is relative to the current directory)`,
  });
});

t.test('a directory instead of a config file', async (t) => {
  const dir = t.testdir({ sub: {} });
  const sub = path.join(dir, 'sub');
  await t.rejects(readConfig(sub), { name: 'ConfigError', message: `${sub}:1:1: config file ${sub}: it is a directory; give the path of the YAML config file (an ensemble directory is continued by \`arrayflow resume ${sub}\`)` });
});

t.test('an invalid config throws every issue', async (t) => {
  const dir = t.testdir({ 'c.yaml': 'name: s\ncommand: echo hi\nparameters: {}\nsampling: {method: lhs}\n' });
  const file = path.join(dir, 'c.yaml');
  const err = (await readConfig(file).catch((e: unknown) => e)) as ConfigError;
  t.type(err, ConfigError);
  t.strictSame(
    err.issues.map((i) => [i.line, i.path]),
    [
      [2, 'command'],
      [3, 'parameters'],
      [4, 'sampling.samples'],
    ],
  );
  t.match(err.message.split('\n')[0], new RegExp(`^${file.replace(/[.]/g, '\\.')}:2:10: command: `));
});

t.test('input files that do not exist are reported at their line', async (t) => {
  const dir = t.testdir({
    'c.yaml': [
      'name: s',
      'command: [python3, sim.py]',
      'inputs:',
      '  copy:',
      '    - sim.py',
      '    - helpers.py',
      '  link: [mesh.h5]',
      '  dir: sim.py',
      'parameters: {x: 1}',
      'sampling: {method: list, file: points.csv}',
      '',
    ].join('\n'),
    'sim.py': 'print(1)\n',
    'mesh.h5': '',
  });
  const file = path.join(dir, 'c.yaml');
  const err = (await readConfig(file).catch((e: unknown) => e)) as ConfigError;
  t.type(err, ConfigError);
  t.strictSame(
    err.issues.map((i) => ({ line: i.line, col: i.col, path: i.path })),
    [
      { line: 6, col: 7, path: 'inputs.copy[1]' },
      { line: 8, col: 8, path: 'inputs.dir' },
      { line: 10, col: 32, path: 'sampling.file' },
    ],
  );
  t.equal(
    err.issues[0].message,
    `input to copy ${path.join(dir, 'helpers.py')} does not exist; paths are relative to the config's directory`,
  );
  t.match(err.issues[1].message, /input directory .*sim\.py is not a directory/);
  t.match(err.issues[2].message, /points file .*points\.csv does not exist/);
  for (const line of err.message.split('\n')) t.match(line, new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: `));
});

t.test('paths resolve against the config directory, not the working directory', async (t) => {
  const dir = t.testdir({
    cfg: { 'c.yaml': 'name: s\ncommand: [a]\ninputs: {copy: [../data/x.txt], dir: tpl}\nparameters: {x: 1}\nsampling: {method: grid}\n', tpl: {} },
    data: { 'x.txt': 'x' },
  });
  const config = await readConfig(path.join(dir, 'cfg/c.yaml'));
  t.strictSame(config.inputs, { copy: [path.join(dir, 'data/x.txt')], link: [], dir: path.join(dir, 'cfg/tpl') });
  t.equal(config.ensemble_dir, path.join(dir, 'cfg/runs/s'));
});
