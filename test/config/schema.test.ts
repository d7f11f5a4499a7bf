// Tests of the JSON Schema file: it compiles (ahead of time as in the process), documents every key, and agrees with the code's constants.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { RESERVED_NAMES } from '../../src/config/placeholders.js';
import { EXECUTOR_TYPES } from '../../src/config/types.js';
import type { ValidateFunction } from 'ajv';
import { COMPILED_VALIDATOR_PATH, compileValidator, configSchema, validateSchema } from '../../src/config/schema.js';
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

t.test('the validator compiled by the build reports exactly what one compiled in the process reports', async (t) => {
  const ahead = createRequire(import.meta.url)(COMPILED_VALIDATOR_PATH) as ValidateFunction;
  const fresh = compileValidator(configSchema());
  const dir = fileURLToPath(new URL('../fixtures/configs/bad/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  t.ok(files.length > 40, `${files.length} bad configs`);
  let invalid = 0;
  for (const f of files) {
    let data: unknown;
    try {
      data = parse(readFileSync(dir + f, 'utf8'), { uniqueKeys: false });
    } catch {
      continue; // a YAML error, reported before the schema is asked
    }
    const ok = ahead(data);
    t.equal(fresh(data), ok, f);
    t.same(ahead.errors ?? null, fresh.errors ?? null, `${f}: the same errors`);
    if (!ok) invalid++;
  }
  t.ok(invalid > 20, `${invalid} of them fail the schema itself`);
});
