// Cross-field rules the JSON Schema cannot express; each is a small named function whose messages quote the offending value.

import type { ConfigIssue } from '../errors.js';
import { parseDuration } from './normalise.js';
import { BUILTIN_PLACEHOLDERS, parseTemplate } from './placeholders.js';
import type { ConfigSource, Segment } from './source.js';
import { didYouMean } from './suggest.js';

type Raw = Record<string, unknown>;

/** A rule sees the raw (possibly schema-invalid) data, so it checks every type it relies on. */
export type Rule = (data: Raw, src: ConfigSource) => ConfigIssue[];

const obj = (x: unknown): Raw | undefined =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Raw) : undefined;
const num = (x: unknown): x is number => typeof x === 'number';
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const showList = (a: unknown[]): string => `[${a.map(show).join(', ')}]`;

/**
 * Every `{name}` in command and env values names a parameter, a built-in or (in a later stage of a multi-stage
 * config) a column of an upstream stage, `{<stage>.<column>}`; stray braces are doubled.
 */
export const placeholdersKnown = (upstream: readonly string[]): Rule => (data, src) => {
  const params = Object.keys(obj(data.parameters) ?? {});
  const valid = [...params, ...BUILTIN_PLACEHOLDERS];
  const listed = [...valid, ...upstream.map((s) => `${s}.<column>`)];
  const issues: ConfigIssue[] = [];
  const check = (arg: unknown, path: Segment[]) => {
    if (typeof arg !== 'string') return;
    const { parts, problems } = parseTemplate(arg);
    for (const p of problems) issues.push(src.issue(path, `${show(arg)}: ${p.message}`));
    for (const part of parts) {
      if (!('name' in part) || valid.includes(part.name)) continue;
      const dot = part.name.indexOf('.');
      if (dot > 0 && upstream.includes(part.name.slice(0, dot))) continue;
      issues.push(
        src.issue(
          path,
          `unknown placeholder {${part.name}} in ${show(arg)}; valid placeholders: ${listed.join(', ')}` +
            `${didYouMean(part.name, valid, (s) => `{${s}}`)} (write {{ and }} for literal braces)`,
        ),
      );
    }
  };
  if (Array.isArray(data.command)) data.command.forEach((a, i) => check(a, ['command', i]));
  for (const [k, v] of Object.entries(obj(data.env) ?? {})) check(v, ['env', k]);
  return issues;
};

export const placeholdersAreKnown: Rule = placeholdersKnown([]);

/** The placeholders of the adaptive proposer's argv. */
export const ADAPTIVE_PLACEHOLDERS = ['dataset', 'dataset_csv', 'count', 'round', 'ensemble'] as const;

/** adaptive.command uses only its own placeholders (the dataset, how many points, the round). */
export const adaptivePlaceholdersAreKnown: Rule = (data, src) => {
  const command = obj(data.adaptive)?.command;
  if (!Array.isArray(command)) return [];
  const valid: readonly string[] = ADAPTIVE_PLACEHOLDERS;
  return command.flatMap((arg, i) => {
    if (typeof arg !== 'string') return [];
    const { parts, problems } = parseTemplate(arg);
    return [
      ...problems.map((p) => src.issue(['adaptive', 'command', i], `${show(arg)}: ${p.message}`)),
      ...parts.flatMap((part) =>
        'name' in part && !valid.includes(part.name)
          ? [src.issue(['adaptive', 'command', i], `unknown placeholder {${part.name}} in ${show(arg)}; the proposer's placeholders are ${valid.join(', ')}${didYouMean(part.name, valid, (s) => `{${s}}`)}`)]
          : [],
      ),
    ];
  });
};

/** The formats of dataset.formats, when it is a list. */
function datasetFormats(data: Raw): unknown[] | undefined {
  const formats = obj(data.dataset)?.formats;
  return Array.isArray(formats) ? formats : undefined;
}

/** dataset.formats keeps parquet: summary, report and adaptive rounds read dataset.parquet back. */
export const datasetKeepsParquet: Rule = (data, src) => {
  const formats = datasetFormats(data);
  if (formats === undefined || formats.length === 0 || formats.includes('parquet')) return [];
  return [
    src.issue(
      ['dataset', 'formats'],
      `${showList(formats)} leaves out parquet, which arrayflow reads back (summary, report, adaptive rounds); add it, e.g. ${showList(['parquet', ...formats])}`,
    ),
  ];
};

/** An adaptive proposer given {dataset_csv} needs dataset.csv written. */
export const datasetCsvForProposer: Rule = (data, src) => {
  const formats = datasetFormats(data);
  const command = obj(data.adaptive)?.command;
  if (formats === undefined || formats.includes('csv') || !Array.isArray(command)) return [];
  const i = command.findIndex((arg) => typeof arg === 'string' && arg.includes('{dataset_csv}'));
  if (i < 0) return [];
  return [src.issue(['adaptive', 'command', i], `${show(command[i])} reads dataset.csv, but dataset.formats ${showList(formats)} does not write it; add csv to dataset.formats, or pass {dataset} (Parquet)`)];
};

/** adaptive.budget counts the initial design: a budget at or below the sampled points leaves no round to run. */
export const adaptiveBudgetAboveDesign: Rule = (data, src) => {
  const budget = obj(data.adaptive)?.budget;
  const samples = sampling(data)?.samples;
  if (!num(budget) || !num(samples) || budget > samples) return [];
  return [
    src.issue(
      ['adaptive', 'budget'],
      `adaptive.budget ${budget} is the total number of tasks, the ${samples} sampled points included: set it above ${samples} for any adaptive round to run`,
    ),
  ];
};

/** uniform/loguniform need low < high (and 0 < low for loguniform); int needs low <= high. */
export const rangesAreNonEmpty: Rule = (data, src) => {
  const issues: ConfigIssue[] = [];
  for (const [name, spec] of Object.entries(obj(data.parameters) ?? {})) {
    const p = obj(spec);
    if (!p) continue;
    for (const kind of ['uniform', 'loguniform', 'int'] as const) {
      const r = p[kind];
      if (!Array.isArray(r) || r.length !== 2 || !num(r[0]) || !num(r[1])) continue;
      const [low, high] = r;
      const path = ['parameters', name, kind];
      // the schema already rejects non-finite bounds (.inf, .nan)
      if (!Number.isFinite(low) || !Number.isFinite(high)) continue;
      if (kind === 'int' ? low > high : low >= high) {
        const need = kind === 'int' ? 'at most' : 'less than';
        const tip = low === high ? `; for a constant write value: ${low}` : '; swap the bounds';
        issues.push(
          src.issue(path, `${kind} range ${showList(r)} is empty: low (${low}) must be ${need} high (${high})${tip}`),
        );
      } else if (kind === 'loguniform' && low <= 0) {
        issues.push(
          src.issue(
            path,
            `loguniform range ${showList(r)} needs 0 < low, found low = ${low}; a log scale has no zero or negatives — use a small positive low such as 1e-6, or uniform`,
          ),
        );
      }
    }
  }
  return issues;
};

/** `levels` only discretises continuous domains. */
export const levelsOnlyOnContinuous: Rule = (data, src) => {
  const issues: ConfigIssue[] = [];
  for (const [name, spec] of Object.entries(obj(data.parameters) ?? {})) {
    const p = obj(spec);
    if (!p || !('levels' in p) || 'uniform' in p || 'loguniform' in p) continue;
    const kind = ['int', 'values', 'value'].find((k) => k in p);
    if (!kind) continue;
    issues.push(
      src.issue(
        ['parameters', name, 'levels'],
        `levels applies only to uniform and loguniform; '${name}' uses ${kind}, which is already discrete — remove levels`,
      ),
    );
  }
  return issues;
};

const sampling = (data: Raw) => obj(data.sampling);
const methodOf = (data: Raw) => {
  const m = sampling(data)?.method;
  return typeof m === 'string' ? m : undefined;
};

/** random, lhs and sobol draw a chosen number of points. */
export const samplesForDrawnMethods: Rule = (data, src) => {
  const method = methodOf(data);
  if (!method || !['random', 'lhs', 'sobol'].includes(method) || sampling(data)?.samples !== undefined) return [];
  return [
    {
      file: src.file,
      ...src.locate(['sampling'], { key: true }),
      path: 'sampling.samples',
      message: `method '${method}' draws as many points as you ask for; add samples: N (e.g. samples: 100)`,
    },
  ];
};

/** grid enumerates every combination, so continuous parameters need a number of levels. */
export const gridNeedsDiscreteParameters: Rule = (data, src) => {
  if (methodOf(data) !== 'grid') return [];
  const issues: ConfigIssue[] = [];
  for (const [name, spec] of Object.entries(obj(data.parameters) ?? {})) {
    const p = obj(spec);
    if (!p || !('uniform' in p || 'loguniform' in p) || 'levels' in p) continue;
    issues.push(
      src.issue(
        ['parameters', name],
        `parameter '${name}' is continuous; grid sampling needs \`levels: N\` (or use values:)`,
      ),
    );
  }
  return issues;
};

/** list takes its points from exactly one of file and points; other methods take neither. */
export const listHasOneSource: Rule = (data, src) => {
  const s = sampling(data);
  const method = methodOf(data);
  if (!s || !method) return [];
  const hasFile = s.file !== undefined;
  const hasPoints = s.points !== undefined;
  if (method === 'list') {
    if (hasFile && hasPoints) {
      return [src.issue(['sampling', 'points'], 'give either file or points for method list, not both; remove one')];
    }
    if (!hasFile && !hasPoints) {
      return [
        {
          file: src.file,
          ...src.locate(['sampling'], { key: true }),
          path: 'sampling',
          message: "method 'list' needs its points: add file: points.csv (CSV or JSON) or points: [{alpha: 0.1}, …]",
        },
      ];
    }
    return [];
  }
  return (['file', 'points'] as const)
    .filter((k) => s[k] !== undefined)
    .map((k) =>
      src.issue(
        ['sampling', k],
        `${k} is used only by method 'list' (method is '${method}'); remove it or set method: list`,
        { key: true },
      ),
    );
};

export const scrambleOnlyForSobol: Rule = (data, src) => {
  const method = methodOf(data);
  if (!method || method === 'sobol' || sampling(data)?.scramble === undefined) return [];
  return [
    src.issue(
      ['sampling', 'scramble'],
      `scramble applies only to method 'sobol' (method is '${method}'); remove it`,
      { key: true },
    ),
  ];
};

/** An element runs `bundle` tasks, so no more than that can run at once inside it (a chosen bundle is at least `parallel`). */
export const parallelWithinBundle: Rule = (data, src) => {
  const a = obj(obj(data.executor)?.array);
  if (!a || !num(a.parallel) || !num(a.bundle) || a.parallel <= a.bundle) return [];
  return [
    src.issue(
      ['executor', 'array', 'parallel'],
      `parallel (${a.parallel}) is greater than bundle (${a.bundle}); an array element runs only bundle tasks — raise bundle, lower parallel, or leave bundle out to have it chosen`,
    ),
  ];
};

export const dialectOnlyForPbs: Rule = (data, src) => {
  const e = obj(data.executor);
  if (!e || e.dialect === undefined) return [];
  const type = typeof e.type === 'string' ? e.type : 'local';
  if (type === 'pbs') return [];
  return [
    src.issue(['executor', 'dialect'], `dialect applies only to type pbs (type is '${type}'); remove it`, {
      key: true,
    }),
  ];
};

const CONTROL: Array<[RegExp, string, string]> = [
  [/\n/, 'a newline', 'a line break would start a new, unchecked directive — keep it on one line'],
  [/\r/, 'a carriage return', 'a line break would start a new, unchecked directive — keep it on one line'],
  [/\0/, 'a NUL character', 'a NUL byte cuts the line short — remove it'],
];

/**
 * Values that end up in #SBATCH/#PBS lines or job names must be single-line: a line break would let
 * the value start a directive (or shell line) of its own. Checked here even where a schema pattern
 * would also reject the value, so the message says why.
 */
export const directivesAreSingleLine: Rule = (data, src) => {
  const issues: ConfigIssue[] = [];
  const check = (v: unknown, path: Segment[], key = false) => {
    if (typeof v !== 'string') return;
    const bad = CONTROL.find(([re]) => re.test(v));
    if (!bad) return;
    const what = key ? 'this key' : show(v);
    issues.push(
      src.issue(
        path,
        `${what} contains ${bad[1]}; it is written into #SBATCH/#PBS directive lines of the job script, where ${bad[2]}`,
        { key },
      ),
    );
  };
  const walk = (v: unknown, path: Segment[]) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (obj(v)) {
      for (const [k, x] of Object.entries(obj(v)!)) {
        check(k, [...path, k], true);
        walk(x, [...path, k]);
      }
    } else check(v, path);
  };
  const e = obj(data.executor);
  check(data.name, ['name']);
  check(data.ensemble_dir, ['ensemble_dir']);
  if (e) {
    walk(e.resources, ['executor', 'resources']);
    check(e.host, ['executor', 'host']);
    check(obj(e.remote)?.dir, ['executor', 'remote', 'dir']);
    check(e.scratch, ['executor', 'scratch']);
  }
  return issues;
};

/**
 * executor.setup lines are the user's own shell, written as they are: each must stay one line of the script. A line
 * break, carriage return or NUL is reported at the item, naming the character and its column within the line.
 */
export const setupLinesAreSingleLine: Rule = (data, src) => {
  const setup = obj(data.executor)?.setup;
  if (!Array.isArray(setup)) return [];
  return setup.flatMap((line, i) => {
    if (typeof line !== 'string') return [];
    const at = line.search(/[\n\r\0]/);
    if (at < 0) return [];
    const what = { '\n': 'a line break', '\r': 'a carriage return', '\0': 'a NUL character' }[line[at] as '\n' | '\r' | '\0'];
    return [
      src.issue(
        ['executor', 'setup', i],
        `setup line ${i + 1} contains ${what} at character ${at + 1}; each setup item is written as one line of the job script — split it into separate items`,
      ),
    ];
  });
};

/** Submitting over SSH needs a place for the ensemble on the cluster: the workstation's paths mean nothing there. */
export const hostNeedsRemoteDir: Rule = (data, src) => {
  const e = obj(data.executor);
  if (!e || typeof e.host !== 'string' || e.remote !== undefined) return [];
  return [
    src.issue(
      ['executor', 'host'],
      `host ${show(e.host)} needs remote.dir, the ensemble directory on the cluster's shared filesystem; add remote: {dir: /scratch/<you>/${typeof data.name === 'string' ? data.name : 'sweep'}}`,
    ),
  ];
};

/** A task expected to outlast its time limit would be killed every time, and the bundle sized from that time. */
export const expectedWithinTimeout: Rule = (data, src) => {
  const dur = (v: unknown) => (num(v) || typeof v === 'string' ? parseDuration(v) : NaN);
  const expected = dur(data.expected_task_time);
  const timeout = dur(data.timeout);
  if (!(expected > timeout)) return [];
  return [
    src.issue(
      ['expected_task_time'],
      `expected_task_time ${show(data.expected_task_time)} is longer than timeout ${show(data.timeout)}: every task would be killed at its time limit; raise timeout or lower expected_task_time`,
    ),
  ];
};

/** A cancel is someone's decision (records/owed.ts): retry_on cannot undo it, `arrayflow retry` does. */
export const retryOnNotCancelled: Rule = (data, src) => {
  const on = obj(data.executor)?.retry_on;
  if (!Array.isArray(on)) return [];
  const i = on.indexOf('cancelled');
  if (i < 0) return [];
  return [
    src.issue(
      ['executor', 'retry_on', i],
      `"cancelled" is never retried automatically (scancel, qdel and \`arrayflow cancel\` are decisions to stop): remove it; \`arrayflow retry <ensemble> --failed --reason cancelled\` runs cancelled tasks again`,
    ),
  ];
};

/** All cross-field rules, in the order their issues are reported. */
export const RULES: ReadonlyArray<[name: string, rule: Rule]> = [
  ['placeholdersAreKnown', placeholdersAreKnown],
  ['adaptivePlaceholdersAreKnown', adaptivePlaceholdersAreKnown],
  ['adaptiveBudgetAboveDesign', adaptiveBudgetAboveDesign],
  ['datasetKeepsParquet', datasetKeepsParquet],
  ['datasetCsvForProposer', datasetCsvForProposer],
  ['rangesAreNonEmpty', rangesAreNonEmpty],
  ['levelsOnlyOnContinuous', levelsOnlyOnContinuous],
  ['samplesForDrawnMethods', samplesForDrawnMethods],
  ['gridNeedsDiscreteParameters', gridNeedsDiscreteParameters],
  ['listHasOneSource', listHasOneSource],
  ['scrambleOnlyForSobol', scrambleOnlyForSobol],
  ['parallelWithinBundle', parallelWithinBundle],
  ['dialectOnlyForPbs', dialectOnlyForPbs],
  ['directivesAreSingleLine', directivesAreSingleLine],
  ['setupLinesAreSingleLine', setupLinesAreSingleLine],
  ['hostNeedsRemoteDir', hostNeedsRemoteDir],
  ['expectedWithinTimeout', expectedWithinTimeout],
  ['retryOnNotCancelled', retryOnNotCancelled],
];
