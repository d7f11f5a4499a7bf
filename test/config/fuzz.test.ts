// Fuzzed configs (issue 14): thousands of generated config texts and objects either validate or give located issues — never a throw, a warning or a hang.
import fc from 'fast-check';
import * as path from 'node:path';
import t from 'tap';
import { configObjectText, readConfigObject, readConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { sampleDesign } from '../../src/sampling/index.js';
import { ConfigError, type ConfigIssue } from '../../src/errors.js';
import { configObject, configText, deepConfig, fuzzParams, junk, noHang } from '../helpers/fuzz.js';

/** What every issue must be: at file:line:col inside the text, with a one-line path and message. */
function located(issues: ConfigIssue[], text: string, file: string): void {
  const lines = text.split('\n').length;
  for (const i of issues) {
    const where = `${i.file}:${i.line}:${i.col}`;
    if (i.file !== file) throw new Error(`issue names ${i.file}, not ${file}`);
    if (!Number.isInteger(i.line) || i.line < 1 || i.line > lines) throw new Error(`${where}: line outside the text's ${lines} lines`);
    if (!Number.isInteger(i.col) || i.col < 1 || i.col > text.length + 1) throw new Error(`${where}: column outside the text`);
    if (!i.message || /[\r\n]/.test(i.message) || /[\r\n]/.test(i.path)) throw new Error(`${where}: empty or multi-line: ${JSON.stringify(i)}`);
  }
}

/** Runs `f`, returning the Node warnings it emitted (e.g. yaml's advice about mapAsMap): they would reach the user's terminal. */
function warningsOf<T>(f: () => T): { out: T; warnings: string[] } {
  const warnings: string[] = [];
  const emit = process.emitWarning;
  process.emitWarning = (w: string | Error) => void warnings.push(String(w instanceof Error ? w.message : w));
  try {
    return { out: f(), warnings };
  } finally {
    process.emitWarning = emit;
  }
}

t.test('config texts: a Config or located issues, never a throw, a warning or a hang', async (t) => {
  fc.assert(
    fc.property(configText, (text) => {
      const { out, warnings } = warningsOf(() => noHang('validateConfig', () => validateConfig(text, 'c.yaml')));
      const { config, issues } = out;
      if ((config === null) !== issues.length > 0) throw new Error(`config ${config ? 'and' : 'without'} issues`);
      located(issues, text, 'c.yaml');
      if (warnings.length > 0) throw new Error(`a process warning: ${warnings.join('; ')}`);
    }),
    fuzzParams(600),
  );
  t.pass('all valid or located');
});

t.test('a config that validates can be sampled: validation leaves nothing for the sampler to refuse', async (t) => {
  fc.assert(
    fc.property(configObject, (value) => {
      const { config } = validateConfig(configObjectText(value, 'c.yaml'), 'c.yaml');
      // list points are checked against the domains when the ensemble is planned (a points file is read then too)
      for (const c of config ? (config.stages ?? [config]) : []) if (c.sampling.method !== 'list') sampleDesign(c.parameters, c.sampling, { start: 0, count: 2 });
    }),
    fuzzParams(400),
  );
  t.pass('sampled');
});

t.test('nesting deeper than any stack: located issues, no throw', async (t) => {
  fc.assert(
    fc.property(deepConfig, (text) => {
      const { config, issues } = noHang('validateConfig', () => validateConfig(text, 'c.yaml'));
      if ((config === null) !== issues.length > 0) throw new Error(`config ${config ? 'and' : 'without'} issues`);
      located(issues, text, 'c.yaml');
    }),
    fuzzParams(20),
  );
  t.pass('all valid or located');
});

t.test('readConfigText with real files beside it: a Config or a ConfigError whose every line is file:line:col', async (t) => {
  const dir = t.testdir({ 'sim.py': '', tpl: {}, 'points.csv': 'alpha\n1\n', 'points.json': '[{"alpha": 1}]' });
  const file = path.join(dir, 'c.yaml');
  await fc.assert(
    fc.asyncProperty(configText, async (text) => {
      const err = await readConfigText(text, file).then(() => null, (e: unknown) => e);
      if (err === null) return;
      if (!(err instanceof ConfigError)) throw err;
      located(err.issues, text, file);
      for (const line of err.message.split('\n')) if (!line.startsWith(`${file}:`) || !/^:\d+:\d+: /.test(line.slice(file.length))) throw new Error(`not located: ${line}`);
    }),
    fuzzParams(300),
  );
  t.pass('all located');
});

t.test('config objects, valid-ish or any JavaScript value: a Config or a ConfigError', async (t) => {
  const dir = t.testdir({ 'sim.py': '' });
  const anything = fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, withUnicodeString: true });
  await fc.assert(
    fc.asyncProperty(fc.oneof(configObject, junk, anything), async (value) => {
      const err = await readConfigObject(value, dir).then(() => null, (e: unknown) => e);
      if (err !== null && !(err instanceof ConfigError)) throw err;
    }),
    fuzzParams(500),
  );
  t.pass('no other error');
});

t.test('the generators reach valid configs, schema issues and syntax issues alike', async (t) => {
  const kinds = new Set<string>();
  for (const text of fc.sample(configText, { seed: 14, numRuns: 400 })) {
    const { config, issues } = validateConfig(text, 'c.yaml');
    if (config) kinds.add('valid');
    for (const i of issues) kinds.add(/^YAML syntax|duplicate key|alias/.test(i.message) ? 'syntax' : /^unknown key/.test(i.message) ? 'unknown key' : 'other');
  }
  t.strictSame([...kinds].sort(), ['other', 'syntax', 'unknown key', 'valid']);
});
