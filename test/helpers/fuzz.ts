// Test helper: fast-check settings (seeded; FUZZ_RUNS / FUZZ_SEED to run more by hand) and the generators of hostile configs, points and result files.
import fc from 'fast-check';
import { stringify } from 'yaml';

/**
 * fast-check parameters: a fixed seed (so a failure reproduces), `runs` cases unless FUZZ_RUNS asks for more
 * (FUZZ_RUNS=100000 npx tap test/config/fuzz.test.ts), FUZZ_SEED to explore other cases.
 */
export function fuzzParams(runs: number): { seed: number; numRuns: number; endOnFailure: boolean } {
  return { seed: Number(process.env.FUZZ_SEED ?? 14), numRuns: Number(process.env.FUZZ_RUNS ?? runs), endOnFailure: false };
}

/** Cases are plain sync calls: a runaway one cannot be interrupted in-process, so it is caught by its time instead. */
export const HANG_MS = 5000;

/** Runs `f` and throws if it took longer than {@link HANG_MS} (a hang, or an expansion that should have been refused). */
export function noHang<T>(what: string, f: () => T): T {
  const start = performance.now();
  const out = f();
  const ms = performance.now() - start;
  if (ms > HANG_MS) throw new Error(`${what} took ${Math.round(ms)} ms`);
  return out;
}

/** Text that breaks parsers: YAML/CSV/JSON syntax, control characters, a BOM, surrogates, RTL, combining marks, emoji. */
const NASTY = [
  ':', ': ', '-', '- ', '[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '?', '<<', '\\',
  '\t', '\n', '\r', '\r\n', '\0', '\x01', '\x1b[31m', '\x7f', '\u0085', '\u2028', '\u2029', '\ufeff', '\ud800', '\udfff',
  '\u202e', 'e\u0301', '名前', 'ß', 'İ', '😀', '\u00a0', '---', '...', '~', 'null', 'true', 'NaN', '.nan', '.inf', '-.inf',
];

/** A string mixing ordinary characters with {@link NASTY} pieces. */
export const nastyString = fc
  .array(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...NASTY), fc.string({ unit: 'grapheme', maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 2 })), { maxLength: 6 })
  .map((parts) => parts.join(''));

/** Numbers at the edges: huge, tiny, negative zero, past 2^53, non-finite. */
export const edgeNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 2 ** 31, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 1e20, 1e300, 1e308, -1e308, 5e-324, Infinity, -Infinity, NaN),
);

/** Number-like YAML scalars written as text: the YAML 1.1/1.2 forms and overflows. */
export const numberToken = fc.constantFrom(
  '0x1F', '0o17', '0b101', '1_000', '1e400', '-1e400', '.NaN', '.Inf', '-.inf', '99999999999999999999999999', '1.7976931348623159e308',
  '0.0000000000000000000000001', '+12', '012', '1:20', '2001-12-14t21:59:43.10-05:00', '!!int "3"', '!!str 1', '!!float 1', '!!binary aGk=',
  '!foo bar', '!!set {a, b}', '!!omap [a: 1]', '!!timestamp 2001-12-14', '~', "''", '""',
);

/** Keys that are known somewhere in the config, keys JavaScript objects treat specially, and odd ones. */
export const configKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('name', 'command', 'parameters', 'sampling', 'executor', 'env', 'inputs', 'result', 'keep', 'timeout', 'expected_task_time', 'stages', 'adaptive', 'prologue', 'ensemble_dir', 'method', 'samples', 'seed', 'values', 'uniform', 'int', 'value', 'levels', 'resources', 'array', 'bundle', 'time', 'mem', 'extra', 'host', 'remote', 'dir') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', '1', 'a.b', 'a/b', '~0', '~1', '<<') },
  { weight: 1, arbitrary: nastyString },
);

const scalar = fc.oneof(edgeNumber, fc.boolean(), fc.constant(null), nastyString, fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }));

/** Any YAML-able value: scalars, lists and mappings with odd keys, up to a few levels. */
export const junk: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(configKey, tie('v'), { maxKeys: 4 })),
})).v;

const domain = fc.oneof(
  fc.constant({ uniform: [0, 1], levels: 3 }),
  fc.constant({ loguniform: [1e-3, 1], levels: 2 }),
  fc.constant({ int: [1, 5] }),
  fc.constant({ values: [1, 'a', true] }),
  fc.constant({ value: 3 }),
  fc.constant([0.5, 2]),
  fc.constant(7),
);
const parameters = fc.record({ alpha: domain, beta: domain }, { requiredKeys: ['alpha'] });
const command = fc.array(fc.constantFrom('python3', 'sim.py', '--alpha', '{alpha}', '{task_id}', '{{x}}', 3), { minLength: 1, maxLength: 4 });
const sampling = fc.oneof(
  fc.record({ method: fc.constant('grid'), seed: fc.nat(), batch: fc.integer({ min: 1, max: 10 }), replicates: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: ['method'] }),
  fc.record({ method: fc.constantFrom('random', 'lhs', 'sobol'), samples: fc.integer({ min: 1, max: 1000 }), seed: fc.nat() }, { requiredKeys: ['method', 'samples'] }),
  fc.record({ method: fc.constant('sobol'), samples: fc.integer({ min: 1, max: 1000 }), scramble: fc.boolean() }),
  fc.record({ method: fc.constant('list'), file: fc.constantFrom('points.csv', 'points.json') }),
  fc.record({ method: fc.constant('list'), points: fc.constant([{ alpha: 0.5 }, { alpha: 0.25 }]) }),
);
const resources = fc.record(
  { time: fc.constantFrom('00:10:00', '1-12', '30', 30), mem: fc.constantFrom('2G', '500M', 4096), cpus: fc.integer({ min: 1, max: 64 }), gpus: fc.constantFrom(1, 'a100:2'), partition: fc.constantFrom('debug', 'gpu,cpu'), extra: fc.constant({ constraint: 'skylake' }) },
  { requiredKeys: [] },
);
const executor = fc.oneof(
  fc.record({ type: fc.constant('local'), workers: fc.integer({ min: 1, max: 8 }), retries: fc.integer({ min: 0, max: 3 }) }, { requiredKeys: [] }),
  fc.record(
    {
      type: fc.constantFrom('slurm', 'pbs'),
      resources,
      array: fc.record({ bundle: fc.integer({ min: 4, max: 20 }), parallel: fc.integer({ min: 1, max: 4 }), throttle: fc.integer({ min: 1, max: 50 }), target_element_time: fc.constantFrom('10m', 600) }, { requiredKeys: [] }),
      setup: fc.constant(['module load python/3.11']),
      poll: fc.constantFrom(5, 30, 600.5),
      retry_on: fc.constant(['timeout', 'lost']),
      retry_scale: fc.constant({ time: 2, mem: 1.5 }),
    },
    { requiredKeys: ['type'] },
  ),
  fc.constant({ type: 'slurm', host: 'alice@login:22', remote: { dir: '/scratch/alice/x' } }),
);
const optional = {
  env: fc.constant({ OMP_NUM_THREADS: '1', X: '{alpha}', N: 2 }),
  inputs: fc.constantFrom({ copy: ['sim.py'] }, { dir: 'tpl' }, { link: ['sim.py'] }),
  result: fc.constantFrom({ file: 'result.json' }, { file: 'out.csv', format: 'csv' }),
  keep: fc.constantFrom('all', 'none', ['*.png', 'result.json']),
  timeout: fc.constantFrom('90s', 60, '01:30:00', '05:00'),
  expected_task_time: fc.constantFrom('90s', '1-00:00:00', 12.5),
  ensemble_dir: fc.constantFrom('runs/x', '/tmp/abs'),
  executor,
  prologue: fc.constant({ command: ['make', '-C', 'src'] }),
};
const single = fc.record({ name: fc.constantFrom('sweep', 'sir-2024', 'a_b.c'), command, parameters, sampling, ...optional, adaptive: fc.constant({ command: ['python3', 'p.py', '{dataset}', '{count}'], budget: 2000, batch: 10 }) }, { requiredKeys: ['name', 'command', 'parameters', 'sampling'] });
const staged = fc.record(
  {
    name: fc.constant('chain'),
    command: fc.constant(['python3', 'sim.py', '{alpha}']),
    ...optional,
    stages: fc.constant([
      { name: 'coarse', parameters: { alpha: [1, 2] }, sampling: { method: 'grid' } },
      { name: 'fine', command: ['python3', 'fine.py', '{coarse.alpha}'], resources: { time: '10' } },
      { name: 'post', after: 'coarse', depend: 'afterok', parameters: { beta: { int: [1, 2] } }, sampling: { method: 'grid' } },
    ]),
  },
  { requiredKeys: ['name', 'stages'] },
);

/** A valid config object: single-stage or staged, optional keys present or not. */
export const validConfigObject = fc.oneof({ weight: 3, arbitrary: single }, { weight: 1, arbitrary: staged });

type Path = Array<string | number>;
function pathsOf(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

/** One edit of the data: a value replaced by junk or an edge scalar, a key removed or renamed, an unknown key added. */
const edit = fc.record({
  at: fc.nat(),
  op: fc.oneof(
    fc.record({ set: junk }),
    fc.record({ set: edgeNumber }),
    fc.record({ set: nastyString }),
    fc.constant({ remove: true }),
    fc.record({ rename: configKey }),
    fc.record({ add: configKey, value: junk }),
  ),
});

function applyEdit(root: Record<string, unknown>, { at, op }: { at: number; op: Record<string, unknown> }): Record<string, unknown> {
  const copy = structuredClone(root);
  const paths = pathsOf(copy);
  const path = paths[at % paths.length];
  if (path.length === 0) return 'add' in op ? { ...copy, [String(op.add)]: op.value } : copy;
  let parent = copy as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if ('set' in op) parent[last] = op.set;
  else if ('remove' in op) Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
  else if ('rename' in op && !Array.isArray(parent)) {
    Object.defineProperty(parent, String(op.rename), { value: parent[last], enumerable: true, writable: true, configurable: true });
    if (String(op.rename) !== String(last)) delete parent[last];
  } else if ('add' in op && parent[last] && typeof parent[last] === 'object' && !Array.isArray(parent[last])) {
    Object.defineProperty(parent[last], String(op.add), { value: op.value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

/** A config object: valid, or valid but for a few edits (wrong types, unknown or missing keys, odd values). */
export const configObject = fc.tuple(validConfigObject, fc.array(edit, { maxLength: 3 })).map(([c, edits]) => edits.reduce(applyEdit, c as Record<string, unknown>));

/** How a config object is written as YAML: block or flow, quoting style, indentation. */
const yamlOptions = fc.record({
  collectionStyle: fc.constantFrom('any', 'block', 'flow') as fc.Arbitrary<'any' | 'block' | 'flow'>,
  defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED') as fc.Arbitrary<'PLAIN'>,
  indent: fc.integer({ min: 1, max: 6 }),
  lineWidth: fc.constantFrom(0, 20, 80),
});

function toYaml(value: unknown, opts: Parameters<typeof stringify>[2]): string {
  try {
    return stringify(value, null, opts) ?? '';
  } catch {
    return stringify(value) ?? ''; // some option mixes cannot write some values
  }
}

/** A text edit at a relative position: what a hand-edited file suffers. */
const mutation = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  op: fc.oneof(
    fc.record({ insert: fc.oneof(fc.constantFrom(...NASTY), numberToken, nastyString) }),
    fc.record({ remove: fc.integer({ min: 1, max: 8 }) }),
    fc.constant({ duplicateLine: true }),
    fc.record({ indent: fc.constantFrom(' ', '  ', '\t', '-') }),
    fc.constant({ truncate: true }),
  ),
});

export function mutate(text: string, edits: Array<{ at: number; op: Record<string, unknown> }>): string {
  for (const { at, op } of edits) {
    const i = Math.floor(at * text.length);
    if ('insert' in op) text = text.slice(0, i) + String(op.insert) + text.slice(i);
    else if ('remove' in op) text = text.slice(0, i) + text.slice(i + Number(op.remove));
    else if ('truncate' in op) text = text.slice(0, i);
    else {
      const start = text.lastIndexOf('\n', i - 1) + 1;
      const end = text.indexOf('\n', i);
      const line = text.slice(start, end < 0 ? text.length : end);
      text = 'indent' in op ? text.slice(0, start) + String(op.indent) + text.slice(start) : `${text.slice(0, start)}${line}\n${text.slice(start)}`;
    }
  }
  return text;
}

const VALID_HEAD = 'name: sweep\ncommand: [python3, sim.py, "{alpha}"]\nsampling: {method: grid}\n';

/** Anchors, aliases and merge keys, including aliases to nothing, self-reference and exponential expansion (billion laughs). */
export const aliasConfig = fc.oneof(
  fc.constant(`${VALID_HEAD}parameters: &p {alpha: [1, 2]}\nenv: *p\n`),
  fc.constant(`${VALID_HEAD}parameters: {alpha: *nowhere}\n`),
  fc.constant(`${VALID_HEAD}parameters: &p {alpha: [1, *p]}\n`),
  fc.constant(`${VALID_HEAD}base: &b {type: local}\nexecutor: {<<: *b, workers: 2}\nparameters: {alpha: [1]}\n`),
  fc.constant(`${VALID_HEAD}executor: {<<: 1}\nparameters: {alpha: [1]}\n`),
  fc.constant(`${VALID_HEAD}executor: {<<: [*x]}\nparameters: {alpha: [1]}\n`),
  fc.constant(`${VALID_HEAD}parameters: {alpha: [1]}\nstages: &s [{name: a, parameters: {alpha: [1]}, sampling: {method: grid}}, *s]\n`),
  fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 14 }), fc.constantFrom('env', 'parameters', 'junk')).map(([width, depth, key]) => {
    let text = `${VALID_HEAD}l0: &l0 [${Array(width).fill('lol').join(', ')}]\n`;
    for (let d = 1; d < depth; d++) text += `l${d}: &l${d} [${Array(width).fill(`*l${d - 1}`).join(', ')}]\n`;
    return `${text}${key}: {alpha: *l${depth - 1}}\n`;
  }),
);

/** Nesting from a few levels to far past any stack: flow brackets, flow mappings, block indentation, list dashes. */
export const deepConfig = fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.constantFrom('flow-seq', 'flow-map', 'block-map', 'block-seq', 'unclosed'), fc.constantFrom('env', 'parameters', 'unknown')).map(([depth, kind, key]) => {
  const d = kind.startsWith('block') ? Math.min(depth, 1200) : depth;
  let v = '';
  if (kind === 'flow-seq') v = ` ${'['.repeat(d)}1${']'.repeat(d)}\n`;
  else if (kind === 'flow-map') v = ` ${'{a: '.repeat(d)}1${'}'.repeat(d)}\n`;
  else if (kind === 'unclosed') v = ` ${'['.repeat(d)}\n`;
  else for (let i = 1; i <= d; i++) v += `\n${' '.repeat(i)}${kind === 'block-map' ? 'a:' : '-'}`;
  return `${VALID_HEAD}parameters: {alpha: [1]}\n${key === 'parameters' ? 'executor' : key}:${v}${v.endsWith('\n') ? '' : ' 1\n'}`;
});

/** A mapping that repeats a key, at the top or nested, maybe differently spelt (quoted, with a trailing space). */
export const duplicateKeyConfig = fc.tuple(fc.constantFrom('name', 'parameters', 'alpha', 'method'), fc.constantFrom((k: string) => k, (k: string) => `"${k}"`, (k: string) => `'${k}'`, (k: string) => `? ${k}\n`)).map(
  ([key, spell]) =>
    key === 'name' || key === 'parameters'
      ? `${VALID_HEAD}parameters: {alpha: [1]}\n${spell(key)}: {alpha: [2]}\n`
      : key === 'alpha'
        ? `name: s\ncommand: [x]\nsampling: {method: grid}\nparameters:\n  alpha: [1]\n  ${spell(key)}: [2]\n`
        : `name: s\ncommand: [x]\nparameters: {alpha: [1]}\nsampling:\n  method: grid\n  ${spell(key)}: lhs\n`,
);

/** Config texts of every kind but deep nesting (slow to parse: {@link deepConfig} has its own, shorter run): structured configs written as YAML then hand-edited, raw character soup, aliases, duplicate keys. */
export const configText = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(configObject, yamlOptions, fc.array(mutation, { maxLength: 3 })).map(([c, o, m]) => mutate(toYaml(c, o), m)) },
  { weight: 1, arbitrary: fc.tuple(junk, yamlOptions).map(([v, o]) => toYaml(v, o)) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.constantFrom(...NASTY, '\n', '  ', 'name', 'sweep'), numberToken), { maxLength: 40 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: aliasConfig },
  { weight: 1, arbitrary: duplicateKeyConfig },
);

/** Arbitrary bytes, mostly UTF-8 text with invalid sequences, a BOM or a UTF-16 BOM spliced in. */
export const oddBytes = fc.tuple(fc.uint8Array({ maxLength: 12 }), fc.constantFrom(Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.alloc(0)));

/** Column names: plain, JavaScript-special, dotted, empty, odd. */
export const columnName = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('alpha', 'beta', 'y', 'x_1') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'a.b', '', ' ', '1', 'ünï', '名前', 'a"b', 'a,b') },
  { weight: 1, arbitrary: nastyString },
);

/** A cell or JSON scalar: numbers at the edges, booleans, null, text with separators and quotes. */
export const cellValue = fc.oneof(edgeNumber.filter(Number.isFinite), fc.boolean(), fc.constant(null), nastyString, fc.constantFrom('1e400', '-0', '0x10', 'NaN', 'true', '"', '""', ',', '\r\n'));

/** A table: a header and rows (maybe ragged). */
export const table = fc.tuple(fc.array(columnName, { minLength: 1, maxLength: 4 }), fc.array(fc.array(cellValue, { minLength: 0, maxLength: 5 }), { maxLength: 4 }));

/** Quote a CSV field when it has to be (or always), RFC 4180. */
export function csvField(v: unknown, always: boolean): string {
  const s = v === null ? '' : String(v);
  return always || /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes a table as CSV text: quoting, line ending and BOM chosen by the caller. */
export function toCsv([header, rows]: [unknown[], unknown[][]], o: { always: boolean; eol: string; bom: boolean }): string {
  const line = (cells: unknown[]) => cells.map((c) => csvField(c, o.always)).join(',');
  return (o.bom ? '\ufeff' : '') + [header, ...rows].map(line).join(o.eol) + o.eol;
}

export const csvStyle = fc.record({ always: fc.boolean(), eol: fc.constantFrom('\n', '\r\n', '\r'), bom: fc.boolean() });

/** Hand edits of a text file (insertions of syntax and control characters, deletions, truncation, repeated lines). */
export const textEdits = fc.array(mutation, { maxLength: 3 });

/** A JSON value with nested objects and arrays under odd keys. */
export const jsonTree: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, cellValue, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(columnName, tie('v'), { maxKeys: 4 })),
})).v;

/** Bytes as text the way readFile(…, 'utf8') sees them: invalid UTF-8 becomes U+FFFD, a BOM stays. */
export function asUtf8(text: string, [bytes, splice]: [Uint8Array, Buffer], at: number): string {
  const buf = Buffer.from(text, 'utf8');
  const i = Math.floor(at * buf.length);
  return Buffer.concat([buf.subarray(0, i), splice, Buffer.from(bytes), buf.subarray(i)]).toString('utf8');
}
