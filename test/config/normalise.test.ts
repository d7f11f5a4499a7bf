// Tests of the normaliser: defaults, shorthands, absolute paths, and that it reads exactly the keys the schema defines.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { normaliseStages } from '../../src/config/stages.js';
import { normaliseConfig, normaliseParam, parseDuration } from '../../src/config/normalise.js';
import { configSchema } from '../../src/config/schema.js';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

t.test('the quick-start config validates and normalises', async (t) => {
  const file = path.join(ROOT, 'configs/quickstart.yaml');
  const { config, issues } = validateConfig(readFileSync(file, 'utf8'), file);
  t.strictSame(issues, []);
  const want: Config = {
    source: file,
    name: 'quickstart',
    ensemble_dir: path.join(ROOT, 'runs/quickstart'),
    command: ['node', 'sim.mjs', '--beta', '{beta}', '--gamma', '{gamma}', '--population', '{population}', '--seed', '{task_seed}'],
    env: {},
    inputs: { copy: [path.join(ROOT, 'examples/quickstart/sim.mjs')], link: [] },
    result: { file: 'result.json', format: 'json', max_size: 1024 * 1024 },
    keep: 'none',
    logs: 'failed',
    dataset: { formats: ['parquet', 'csv'], compression: 'snappy' },
    timeout: 60,
    parameters: {
      beta: { kind: 'uniform', low: 0.1, high: 0.6 },
      gamma: { kind: 'uniform', low: 0.05, high: 0.3 },
      population: { kind: 'values', values: [1000, 10000, 100000] },
    },
    sampling: { method: 'lhs', samples: 200, seed: 42, batch: 100 },
    executor: { type: 'local', resources: {}, array: { parallel: 1, steal: true }, scratch: 'auto', retries: 0 },
  };
  t.strictSame(config, want);
});

t.test('defaults of a minimal config; a relative config path is made absolute', async (t) => {
  const { config, issues } = validateConfig(
    'name: m\ncommand: [sim, 7, 2.5]\nparameters: {x: 1}\nsampling: {method: grid}\n',
    'sub/m.yaml',
  );
  t.strictSame(issues, []);
  const dir = path.resolve('sub');
  t.strictSame(config, {
    source: path.join(dir, 'm.yaml'),
    name: 'm',
    ensemble_dir: path.join(dir, 'runs/m'),
    command: ['sim', '7', '2.5'],
    env: {},
    inputs: { copy: [], link: [] },
    result: { file: 'result.json', format: 'json', max_size: 1024 * 1024 },
    keep: 'none',
    logs: 'failed',
    dataset: { formats: ['parquet', 'csv'], compression: 'snappy' },
    timeout: 0,
    parameters: { x: { kind: 'const', value: 1 } },
    sampling: { method: 'grid', seed: 0 },
    executor: { type: 'local', resources: {}, array: { parallel: 1, steal: true }, scratch: 'auto', retries: 0 },
  });
});

t.test('every key, spelled out', async (t) => {
  const text = `
name: full.run-1
ensemble_dir: /data/ens
command: [python3, sim.py, "{a}", "{{literal}}", "{task_id}"]
env: { OMP_NUM_THREADS: 1, TAG: "{b}-{attempt}", DEBUG: true }
inputs: { copy: [sim.py], link: [../mesh.h5], dir: template/ }
result: { file: out/r.csv, max_size: 10M }
keep: [result.json, "*.png"]
logs: all
dataset: { formats: [parquet, hdf5], compression: gzip }
timeout: 1.5h
expected_task_time: 0-00:02:30
parameters:
  a: { uniform: [0, 1], levels: 3 }
  b: { loguniform: [1e-3, 1], levels: 4 }
  c: { int: [1, 5] }
  d: { values: [x, y] }
  e: { value: on }
  f: [1, 2.5, true]
  g: 7
sampling: { method: grid, samples: 10, seed: 9, batch: 5, replicates: 2 }
executor:
  type: pbs
  workers: 4
  host: alice@login.example.org:2222
  remote: { dir: /scratch/alice/full, node: /opt/node/bin/node, arrayflow: /opt/af/dist/cli/main.js, ssh_config: ssh/config }
  resources:
    time: 1-12:00
    mem: 4096
    cpus: 2
    gpus: a100:2
    partition: gpu
    account: 12345
    qos: normal
    extra: { mail-type: END, nodes: 1 }
  array: { throttle: 50, bundle: 10, target_element_time: "00:20:00", parallel: 5, steal: false, max_array_size: 1001, max_submit: 4000 }
  scratch: /local/scratch
  setup: ["module load python/3.11", "source ~/venv/bin/activate  # a comment, as written"]
  retries: 2
`;
  const { config, issues } = validateConfig(text, '/cfg/full.yaml');
  t.strictSame(issues, []);
  t.strictSame(config, {
    source: '/cfg/full.yaml',
    name: 'full.run-1',
    ensemble_dir: '/data/ens',
    command: ['python3', 'sim.py', '{a}', '{{literal}}', '{task_id}'],
    env: { OMP_NUM_THREADS: '1', TAG: '{b}-{attempt}', DEBUG: 'true' },
    inputs: { copy: ['/cfg/sim.py'], link: ['/mesh.h5'], dir: '/cfg/template' },
    result: { file: 'out/r.csv', format: 'csv', max_size: 10 * 1024 * 1024 },
    keep: ['result.json', '*.png'],
    logs: 'all',
    dataset: { formats: ['parquet', 'hdf5'], compression: 'gzip' },
    timeout: 5400,
    expected_task_time: 150,
    parameters: {
      a: { kind: 'uniform', low: 0, high: 1, levels: 3 },
      b: { kind: 'loguniform', low: 0.001, high: 1, levels: 4 },
      c: { kind: 'int', low: 1, high: 5 },
      d: { kind: 'values', values: ['x', 'y'] },
      e: { kind: 'const', value: 'on' },
      f: { kind: 'values', values: [1, 2.5, true] },
      g: { kind: 'const', value: 7 },
    },
    sampling: { method: 'grid', seed: 9, samples: 10, batch: 5, replicates: 2 },
    executor: {
      type: 'pbs',
      resources: {
        time: '1-12:00',
        mem: '4096',
        cpus: 2,
        gpus: 'a100:2',
        partition: 'gpu',
        account: '12345',
        qos: 'normal',
        extra: { 'mail-type': 'END', nodes: '1' },
      },
      array: { parallel: 5, steal: false, bundle: 10, target_element_time: 1200, throttle: 50, max_array_size: 1001, max_submit: 4000 },
      scratch: '/local/scratch',
      retries: 2,
      setup: ["module load python/3.11", "source ~/venv/bin/activate  # a comment, as written"],
      workers: 4,
      dialect: 'pro',
      host: 'alice@login.example.org:2222',
      remote: { dir: '/scratch/alice/full', node: '/opt/node/bin/node', arrayflow: '/opt/af/dist/cli/main.js', ssh_config: '/cfg/ssh/config' },
    },
  });
});

t.test('list sampling: file made absolute, inline points kept; sobol scramble', async (t) => {
  const list = validateConfig(
    'name: l\ncommand: [a, "{x}"]\nparameters: {x: [1, 2]}\nsampling: {method: list, file: pts/p.csv}\n',
    '/w/l.yaml',
  );
  t.equal(list.config?.sampling.file, '/w/pts/p.csv');
  const inline = validateConfig(
    'name: l\ncommand: [a, "{x}"]\nparameters: {x: [1, 2]}\nsampling: {method: list, points: [{x: 1}, {x: 2}]}\n',
    '/w/l.yaml',
  );
  t.strictSame(inline.config?.sampling, { method: 'list', seed: 0, points: [{ x: 1 }, { x: 2 }] });
  const sobol = validateConfig(
    'name: s\ncommand: [a]\nparameters: {x: {uniform: [0, 1]}}\nsampling: {method: sobol, samples: 64, scramble: true}\nexecutor: {type: pbs, dialect: torque}\n',
    '/w/s.yaml',
  );
  t.strictSame(sobol.config?.sampling, { method: 'sobol', seed: 0, samples: 64, scramble: true });
  t.equal(sobol.config?.executor.dialect, 'torque');
});

t.test('parseDuration', async (t) => {
  const cases: Array<[number | string, number]> = [
    [0, 0],
    [90, 90],
    [2.5, 2.5],
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['1d', 86400],
    ['1.5h', 5400],
    ['01:30:00', 5400],
    ['100:00:00', 360000],
    ['05:30', 330],
    // Slurm's forms (resources.time, expected_task_time, target_element_time): a bare number is minutes
    ['30', 1800],
    ['1-12', 129600],
    ['1-12:30', 131400],
    ['2-00:00:05', 172805],
    ['0-00:02:30', 150],
  ];
  for (const [input, seconds] of cases) t.equal(parseDuration(input), seconds, String(input));
});

t.test('parameter shorthands', async (t) => {
  t.strictSame(normaliseParam(3), { kind: 'const', value: 3 });
  t.strictSame(normaliseParam('fast'), { kind: 'const', value: 'fast' });
  t.strictSame(normaliseParam([1, 'a']), { kind: 'values', values: [1, 'a'] });
  t.strictSame(normaliseParam({ value: false }), { kind: 'const', value: false });
});

// --- the normaliser and the schema cannot drift -------------------------------------------------

type Schema = Record<string, unknown>;

/** Every schema node `node` may stand for: through $ref and both branches of if/then/else. */
function alternatives(schema: Schema, node: Schema | undefined): Schema[] {
  if (!node) return [];
  const out: Schema[] = [node];
  if (typeof node.$ref === 'string') {
    // a JSON pointer into the schema: #/definitions/parameter, #/properties/command, ...
    const target = node.$ref.slice(2).split('/').reduce<Schema | undefined>((n, k) => n?.[k] as Schema | undefined, schema);
    out.push(...alternatives(schema, target));
  }
  for (const k of ['then', 'else']) out.push(...alternatives(schema, node[k] as Schema | undefined));
  return out;
}

/** The schema nodes a child key (or `[]` for an array item) of `node` may match, with the canonical segment. */
function child(schema: Schema, node: Schema, seg: string): { seg: string; nodes: Schema[] } {
  const alts = alternatives(schema, node);
  if (seg === '[]') return { seg, nodes: alts.flatMap((a) => alternatives(schema, a.items as Schema | undefined)) };
  const named = alts.flatMap((a) => alternatives(schema, (a.properties as Record<string, Schema> | undefined)?.[seg]));
  if (named.length > 0) return { seg, nodes: named };
  const map = alts.flatMap((a) =>
    typeof a.additionalProperties === 'object' ? alternatives(schema, a.additionalProperties as Schema) : [],
  );
  return { seg: '*', nodes: map };
}

/** Every key path the schema defines, with `*` for map entries and `[]` for list items. */
function schemaPaths(schema: Schema): Set<string> {
  const out = new Set<string>();
  const walk = (nodes: Schema[], prefix: string, depth: number) => {
    if (depth > 8) return;
    const alts = nodes.flatMap((n) => alternatives(schema, n));
    const keys = new Set<string>();
    for (const a of alts) {
      for (const k of Object.keys((a.properties as object | undefined) ?? {})) keys.add(k);
      if (typeof a.additionalProperties === 'object') keys.add('*');
      if (a.items) keys.add('[]');
    }
    for (const k of keys) {
      const p = k === '[]' ? `${prefix}[]` : prefix ? `${prefix}.${k}` : k;
      out.add(p);
      walk(alts.flatMap((a) => child(schema, a, k).nodes), p, depth + 1);
    }
  };
  walk([schema], '', 0);
  return out;
}

/** Wrap plain data so every key read (get or `in`) is recorded as a canonical schema path. */
function recording(schema: Schema, data: unknown, seen: Set<string>, unknown: Set<string>): unknown {
  const wrap = (v: unknown, nodes: Schema[], prefix: string): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const note = (prop: string | symbol): { seg: string; nodes: Schema[]; path: string } | undefined => {
      if (typeof prop !== 'string') return undefined;
      if (Array.isArray(v)) {
        if (!/^\d+$/.test(prop)) return undefined; // length, map, … : not keys
        const c = nodes.flatMap((n) => child(schema, n, '[]').nodes);
        seen.add(`${prefix}[]`);
        return { seg: '[]', nodes: c, path: `${prefix}[]` };
      }
      const found = nodes.map((n) => child(schema, n, prop)).filter((c) => c.nodes.length > 0);
      const seg = found[0]?.seg ?? prop;
      const path = prefix ? `${prefix}.${seg}` : seg;
      if (found.length === 0) unknown.add(path);
      else seen.add(path);
      return { seg, nodes: found.flatMap((c) => c.nodes), path };
    };
    return new Proxy(v as object, {
      get(target, prop, receiver) {
        const c = note(prop);
        const value = Reflect.get(target, prop, receiver) as unknown;
        return c ? wrap(value, c.nodes, c.path) : value;
      },
      has(target, prop) {
        note(prop);
        return Reflect.has(target, prop);
      },
    });
  };
  return wrap(data, [schema], '');
}

t.test('the normaliser reads only keys the schema defines, and every key the schema defines', async (t) => {
  const schema = configSchema() as Schema;
  // one config that uses every key of the schema (params of every kind, so each kind is read)
  const raw = {
    name: 'n',
    ensemble_dir: 'e',
    command: ['a', 1],
    env: { A: 'x' },
    inputs: { copy: ['c'], link: ['l'], dir: 'd' },
    result: { file: 'r.json', format: 'json', max_size: 4096 },
    keep: ['*.png'],
    logs: 'none',
    dataset: { formats: ['parquet', 'csv', 'hdf5'], compression: 'zstd' },
    timeout: '1h',
    expected_task_time: '2s',
    parameters: {
      u: { uniform: [0, 1], levels: 2 },
      l: { loguniform: [1, 2], levels: 2 },
      i: { int: [1, 2] },
      v: { values: [1] },
      c: { value: 1 },
      s: 1,
      b: [1, 2],
    },
    sampling: { method: 'list', samples: 1, seed: 1, batch: 1, file: 'f', points: [{ u: 1 }], scramble: true, replicates: 1 },
    adaptive: { command: ['p', '{dataset}'], batch: 2, budget: 3 },
    prologue: { command: ['make', 1] },
    provenance: { require_clean_git: true },
    executor: {
      type: 'pbs',
      workers: 1,
      dialect: 'pro',
      host: 'h',
      remote: { dir: 'd', node: 'n', arrayflow: 'a', ssh_config: 's' },
      resources: { time: '1', mem: '1G', cpus: 1, gpus: 1, partition: 'p', account: 'a', qos: 'q', extra: { x: 'y' } },
      array: { throttle: 1, bundle: 1, target_element_time: '5m', parallel: 1, max_array_size: 1, max_submit: 1 },
      scratch: '/s',
      setup: ['module load x'],
      retries: 1,
      retry_on: ['timeout'],
      retry_scale: { time: 2, mem: 1.5 },
      caps: { memory: '90%', cpu: '95%' },
    },
  };
  const seen = new Set<string>();
  const unknown = new Set<string>();
  normaliseConfig(recording(schema, raw, seen, unknown) as Record<string, unknown>, '/x/c.yaml');
  // and a multi-stage config whose stages use every stage key
  const { parameters, sampling, adaptive: _adaptive, ...common } = raw;
  const stage = { command: ['b'], env: { B: 'y' }, inputs: { copy: ['c2'] }, result: { file: 'r.csv' }, keep: 'all', timeout: 5, expected_task_time: 3, resources: raw.executor.resources };
  const staged = { ...common, stages: [{ name: 'one', ...stage, parameters, sampling }, { name: 'two', after: 'one', depend: 'afterok', ...stage }] };
  normaliseStages(recording(schema, staged, seen, unknown) as Record<string, unknown>, '/x/c.yaml');
  t.strictSame([...unknown], [], 'keys the normaliser reads but the schema lacks');
  // a list or map the normaliser passes on whole (keep, values, points) counts as read, items and all;
  // named keys must each be read
  const covered = (p: string): boolean => {
    if (seen.has(p)) return true;
    const m = /^(.*?)(\[\]|\.\*)$/.exec(p);
    return m !== null && covered(m[1]);
  };
  const unread = [...schemaPaths(schema)].filter((p) => !covered(p));
  t.strictSame(unread, [], 'keys the schema defines but the normaliser never reads');
});

t.test('prologue: argv as strings with the config directory; a multi-stage config gives it to its first stage only', async (t) => {
  const base = { name: 'n', command: ['a'], parameters: { x: 1 }, sampling: { method: 'grid' } };
  t.strictSame(normaliseConfig({ ...base, prologue: { command: ['make', 2] } }, '/x/c.yaml').prologue, { command: ['make', '2'], config_dir: '/x' });
  const { parameters, sampling, ...common } = base;
  const staged = normaliseStages({ ...common, prologue: { command: ['make'] }, stages: [{ name: 'one', parameters, sampling }, { name: 'two' }] }, '/x/c.yaml');
  t.same(staged.stages?.map((s) => s.prologue?.command ?? null), [['make'], null]);
});

t.test('provenance: absent unless given; require_clean_git as given, inherited by every stage', async (t) => {
  const base = { name: 'n', command: ['a'], parameters: { x: 1 }, sampling: { method: 'grid' } };
  t.notOk('provenance' in normaliseConfig(base, '/x/c.yaml'));
  t.strictSame(normaliseConfig({ ...base, provenance: { require_clean_git: true } }, '/x/c.yaml').provenance, { require_clean_git: true });
  t.strictSame(normaliseConfig({ ...base, provenance: {} }, '/x/c.yaml').provenance, { require_clean_git: false });
  const { parameters, sampling, ...common } = base;
  const staged = normaliseStages({ ...common, provenance: { require_clean_git: true }, stages: [{ name: 'one', parameters, sampling }, { name: 'two' }] }, '/x/c.yaml');
  t.same(staged.stages?.map((s) => s.provenance), [{ require_clean_git: true }, { require_clean_git: true }]);
});
