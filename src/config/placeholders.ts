// The `{name}` placeholder syntax of command/env arguments: parsing, the built-in and reserved names, rendering.

import { DataError } from '../errors.js';

/** Placeholders every task provides besides its parameters. */
export const BUILTIN_PLACEHOLDERS = ['task_id', 'task_seed', 'attempt', 'scratch'] as const;

/** Names a parameter may not take: the built-ins, the bookkeeping columns of the dataset, and __proto__ (a point's key by that name would set its prototype). */
export const RESERVED_NAMES: readonly string[] = [
  ...BUILTIN_PLACEHOLDERS,
  'status',
  'reason',
  'exit_code',
  'signal',
  'host',
  'job_id',
  'start_time',
  'end_time',
  'duration_s',
  'stage',
  'stage_task',
  'batch',
  '__proto__',
];

export type TemplatePart = { literal: string } | { name: string };

export interface TemplateProblem {
  /** 0-based character index in the argument. */
  index: number;
  message: string;
}

// `{alpha}`, or `{coarse.peak}`: a column of an upstream stage
const NAME_AT = /\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}/y;

/**
 * Split an argument into literal text and `{name}` placeholders; `{{` and `}}` stand for literal
 * braces. A brace that is neither is a problem, so a typo never silently reaches the command.
 */
export function parseTemplate(arg: string): { parts: TemplatePart[]; problems: TemplateProblem[] } {
  const parts: TemplatePart[] = [];
  const problems: TemplateProblem[] = [];
  let text = '';
  let i = 0;
  while (i < arg.length) {
    const c = arg[i];
    if ((c === '{' || c === '}') && arg[i + 1] === c) {
      text += c;
      i += 2;
      continue;
    }
    if (c === '{') {
      NAME_AT.lastIndex = i;
      const m = NAME_AT.exec(arg);
      if (m) {
        if (text) parts.push({ literal: text });
        text = '';
        parts.push({ name: m[1] });
        i += m[0].length;
        continue;
      }
      problems.push({
        index: i,
        message: `'{' at character ${i + 1} does not start a placeholder like {alpha}; write '{{' for a literal '{'`,
      });
    } else if (c === '}') {
      problems.push({
        index: i,
        message: `unmatched '}' at character ${i + 1}; write '}}' for a literal '}'`,
      });
    }
    text += c;
    i += 1;
  }
  if (text) parts.push({ literal: text });
  return { parts, problems };
}

/** The placeholder names used in an argument, in order of appearance. */
export function placeholderNames(arg: string): string[] {
  return parseTemplate(arg).parts.flatMap((p) => ('name' in p ? [p.name] : []));
}

/** Substitute placeholders; throws DataError when `values` lacks a name (e.g. a points file without that column). */
export function renderTemplate(arg: string, values: Record<string, string>): string {
  return parseTemplate(arg)
    .parts.map((p) => {
      if ('literal' in p) return p.literal;
      const v = values[p.name];
      if (v === undefined) throw new DataError(`no value for placeholder {${p.name}} in ${JSON.stringify(arg)}`);
      return v;
    })
    .join('');
}
