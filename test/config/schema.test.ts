// Tests of the JSON Schema file: it compiles, documents every key, and agrees with the code's constants.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { RESERVED_NAMES } from '../../src/config/placeholders.js';
import { EXECUTOR_TYPES } from '../../src/config/types.js';
import { configSchema, validateSchema } from '../../src/config/schema.js';
import { parseConfigSource } from '../../src/config/source.js';

type Schema = Record<string, unknown>;

t.test('the schema is the file in configs/, loaded once', async (t) => {
  const file = fileURLToPath(new URL('../../configs/arrayflow.schema.json', import.meta.url));
  t.strictSame(configSchema(), JSON.parse(readFileSync(file, 'utf8')));
  t.equal(configSchema(), configSchema(), 'cached');
  t.equal(configSchema().$schema, 'http://json-schema.org/draft-07/schema#');
});

t.test('every property has a description, for editors', async (t) => {
  const missing: string[] = [];
  const walk = (node: unknown, at: string) => {
    if (typeof node !== 'object' || node === null) return;
    const n = node as Schema;
    for (const [k, v] of Object.entries((n.properties as Schema | undefined) ?? {})) {
      if (typeof (v as Schema).description !== 'string') missing.push(`${at}.${k}`);
      walk(v, `${at}.${k}`);
    }
    for (const k of ['items', 'additionalProperties', 'then', 'else']) walk(n[k], `${at}/${k}`);
    for (const [k, v] of Object.entries((n.definitions as Schema | undefined) ?? {})) walk(v, `#${k}`);
  };
  walk(configSchema(), '');
  t.strictSame(missing, []);
});

t.test('reserved parameter names agree with the code', async (t) => {
  const names = (((configSchema().properties as Schema).parameters as Schema).propertyNames as Schema).not as Schema;
  t.strictSame(names.enum, [...RESERVED_NAMES]);
});

t.test('the executor types agree with the code', async (t) => {
  const executor = ((configSchema().properties as Schema).executor as Schema).properties as Schema;
  t.strictSame((executor.type as Schema).enum, [...EXECUTOR_TYPES]);
});

t.test('the quick-start config names this schema for editors', async (t) => {
  const text = readFileSync(fileURLToPath(new URL('../../configs/quickstart.yaml', import.meta.url)), 'utf8');
  t.match(text, /yaml-language-server: \$schema=\.\/arrayflow\.schema\.json/);
});

t.test('validateSchema alone: ajv errors rewritten and located', async (t) => {
  const src = parseConfigSource('name: s\ncommand: [a]\nparameters: {x: 1}\nsampling: {method: grid, batch: 0}\n', 'c.yaml');
  t.strictSame(validateSchema(src.data, src), [
    { file: 'c.yaml', line: 4, col: 33, path: 'sampling.batch', message: 'must be at least 1, found the number 0' },
  ]);
  t.strictSame(validateSchema(src.data, src, (p) => p === 'sampling.batch'), [], 'skip drops issues at a path');
});
