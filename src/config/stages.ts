// Multi-stage configs: each stage seen as a single-stage config (top-level defaults + the stage's own keys),
// checked by the same rules with issues located at the key that set the value, and normalised per stage.

import { EnsembleLayout } from '../layout/layout.js';
import type { ConfigIssue } from '../errors.js';
import { normaliseConfig } from './normalise.js';
import { RULES, placeholdersKnown } from './rules.js';
import type { ConfigSource, Segment } from './source.js';
import type { Config, StageSpec } from './types.js';

type Raw = Record<string, unknown>;

const obj = (x: unknown): Raw | undefined => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Raw) : undefined);

/** Keys of a stage that are not keys of a single-stage config. */
const STAGE_ONLY = new Set(['name', 'after', 'depend', 'resources']);

/** One stage as a single-stage config. */
interface StageView {
  index: number;
  name: string;
  /** Names of the stages upstream of this one, nearest first (their columns are placeholders here). */
  upstream: string[];
  spec: StageSpec;
  /** The merged raw config of the stage, and the stage's own keys. */
  raw: Raw;
  own: Raw;
}

/** Whether the config text describes a multi-stage ensemble. */
export function hasStages(data: Raw): boolean {
  return data.stages !== undefined;
}

/** Issues at paths of the merged view go to the stage's key when the stage set it, else to the top level. */
function stageSource(src: ConfigSource, index: number, own: Raw): ConfigSource {
  // a path into the stage's view points into the stage where the stage wrote the value, else at the top-level key it inherits
  const map = (p: readonly Segment[]): Segment[] => {
    if (p[0] === 'executor' && p[1] === 'resources') {
      const res = obj(own.resources);
      const mine = res !== undefined && (p.length === 2 || (typeof p[2] === 'string' && p[2] in res));
      return mine ? ['stages', index, 'resources', ...p.slice(2)] : [...p];
    }
    return typeof p[0] === 'string' && p[0] in own && !STAGE_ONLY.has(p[0]) ? ['stages', index, ...p] : [...p];
  };
  return { ...src, locate: (p, opts) => src.locate(map(p), opts), issue: (p, message, opts) => src.issue(map(p), message, opts) };
}

function views(data: Raw): StageView[] {
  const stages = Array.isArray(data.stages) ? data.stages : [];
  const names: string[] = [];
  const out: StageView[] = [];
  stages.forEach((s, index) => {
    const own = obj(s);
    if (!own || typeof own.name !== 'string') return;
    const after = typeof own.after === 'string' ? own.after : (names[names.length - 1] ?? null);
    names.push(own.name);
    const raw: Raw = {};
    for (const [k, v] of Object.entries(data)) if (k !== 'stages') raw[k] = v;
    for (const [k, v] of Object.entries(own)) if (!STAGE_ONLY.has(k)) raw[k] = v;
    if (index > 0 && own.parameters === undefined) {
      delete raw.parameters;
      delete raw.sampling;
    }
    if (own.resources !== undefined) {
      const executor = obj(data.executor) ?? {};
      raw.executor = { ...executor, resources: { ...(obj(executor.resources) ?? {}), ...(obj(own.resources) ?? {}) } };
    }
    const upstream: string[] = [];
    for (let up: string | null = index > 0 ? after : null; up !== null && !upstream.includes(up); ) {
      upstream.push(up);
      const v = out.find((x) => x.name === up);
      up = v ? v.spec.after : null;
    }
    const depend = own.depend === 'afterok' ? 'afterok' : 'afterany';
    out.push({ index, name: own.name, upstream, spec: { name: own.name, after: index > 0 ? after : null, depend }, raw, own });
  });
  return out;
}

/** The rules of a multi-stage config: its structure, then every single-stage rule on every stage. */
export function stageRules(data: Raw, src: ConfigSource): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of ['parameters', 'sampling'] as const) {
    if (data[key] !== undefined) {
      issues.push(src.issue([key], `with stages, ${key} belongs to a stage: move it into the first stage (or the stage that samples it)`, { key: true }));
    }
  }
  if (obj(data.executor)?.host !== undefined) {
    issues.push(src.issue(['executor', 'host'], 'stages are not supported over SSH yet: run the ensemble on the login node (without executor.host)', { key: true }));
  }
  if (data.adaptive !== undefined) {
    issues.push(src.issue(['adaptive'], 'adaptive sampling works on a single-stage ensemble: remove adaptive, or the stages', { key: true }));
  }
  const stages = Array.isArray(data.stages) ? data.stages : [];
  const seen = new Set<string>();
  stages.forEach((s, i) => {
    const own = obj(s);
    if (!own || typeof own.name !== 'string') return;
    if (seen.has(own.name)) issues.push(src.issue(['stages', i, 'name'], `stage name ${JSON.stringify(own.name)} is used twice; stage names must differ`));
    for (const key of ['after', 'depend'] as const) {
      if (i === 0 && own[key] !== undefined) issues.push(src.issue(['stages', 0, key], `the first stage has no stage before it: remove \`${key}\``, { key: true }));
    }
    if (typeof own.after === 'string' && !seen.has(own.after)) {
      const earlier = [...seen];
      issues.push(
        src.issue(
          ['stages', i, 'after'],
          `no earlier stage is named ${JSON.stringify(own.after)}; a stage follows one listed before it${earlier.length ? ` (${earlier.join(', ')})` : ''}`,
        ),
      );
    }
    if (i === 0 && (own.parameters === undefined || own.sampling === undefined)) {
      issues.push(src.issue(['stages', 0], 'the first stage samples the design: give it parameters and sampling'));
    } else if (own.parameters !== undefined && own.sampling === undefined) {
      issues.push(src.issue(['stages', i], `stage ${JSON.stringify(own.name)} has parameters but no sampling: add sampling (they are crossed with the upstream rows)`));
    } else if (own.parameters === undefined && own.sampling !== undefined) {
      issues.push(src.issue(['stages', i, 'sampling'], `stage ${JSON.stringify(own.name)} has sampling but no parameters to sample`, { key: true }));
    }
    if (own.command === undefined && data.command === undefined) {
      issues.push(src.issue(['stages', i], `stage ${JSON.stringify(own.name)} has no command, and there is no top-level command to inherit`));
    }
    seen.add(own.name);
  });
  // Each stage's view is checked as a config; an issue is named by its stage. One at an inherited top-level value that
  // more than one stage finds is the value's own (a bad top-level name): said once, by no stage.
  const found = new Map<string, { issue: ConfigIssue; stages: string[] }>();
  for (const v of views(data)) {
    const at = stageSource(src, v.index, v.own);
    for (const [name, rule] of RULES) {
      const check = name === 'placeholdersAreKnown' ? placeholdersKnown(v.upstream) : rule;
      for (const issue of check(v.raw, at)) {
        const key = `${issue.line}:${issue.col}:${issue.path}:${issue.message}`;
        const f = found.get(key) ?? { issue, stages: [] };
        f.stages.push(v.name);
        found.set(key, f);
      }
    }
  }
  for (const { issue, stages } of found.values()) {
    const own = issue.path.startsWith('stages[') || stages.length === 1;
    issues.push(own ? { ...issue, message: `stage ${JSON.stringify(stages[0])}: ${issue.message}` } : issue);
  }
  return issues;
}

/**
 * The normalised multi-stage config: top-level fields as written (parameters and sampling empty), and one
 * complete Config per stage whose ensemble directory is `<ensemble_dir>/stages/<name>`. A stage without
 * parameters has one empty point, so it runs once per upstream row (a sequential runner).
 */
export function normaliseStages(data: Raw, file: string): Config {
  const top: Raw = { ...data, command: data.command ?? [], parameters: {}, sampling: { method: 'list', points: [{}] } };
  delete top.stages;
  const config = normaliseConfig(top, file);
  const firstSeed = obj(obj(obj((data.stages as unknown[])[0])?.sampling))?.seed;
  config.stages = views(data).map((v) => {
    const raw: Raw = { ...v.raw, name: `${config.name}.${v.name}`, ensemble_dir: new EnsembleLayout(config.ensemble_dir).stageDir(v.name) };
    // the prologue runs once, before the first stage's tasks
    if (v.index > 0) delete raw.prologue;
    // a sequential runner's task seeds differ from its upstream's (same ids), yet follow from the design's seed
    if (raw.parameters === undefined) Object.assign(raw, { parameters: {}, sampling: { method: 'list', points: [{}], seed: (typeof firstSeed === 'number' ? firstSeed : 0) + v.index } });
    return { ...normaliseConfig(raw, file), stage: v.spec };
  });
  return config;
}
