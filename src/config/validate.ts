// validateConfig: config text -> normalised Config or located issues (pure: parse, schema, cross-field rules, normalise).

import type { ConfigIssue } from '../errors.js';
import { normaliseConfig } from './normalise.js';
import { RULES, directivesAreSingleLine } from './rules.js';
import { hasStages, normaliseStages, stageRules } from './stages.js';
import { validateSchema } from './schema.js';
import { parseConfigSource, type ConfigSource } from './source.js';
import type { Config } from './types.js';

/** The outcome of validation plus the parsed source, so callers can locate later (I/O) issues. */
export interface ConfigAnalysis {
  config: Config | null;
  issues: ConfigIssue[];
  source: ConfigSource;
}

/**
 * Parse, validate and normalise a config's text. Pure: no file is read (`file` names the config in
 * issues and anchors its relative paths). `config` is null when there is any issue.
 */
export function validateConfig(text: string, file: string): { config: Config | null; issues: ConfigIssue[] } {
  const { config, issues } = analyseConfig(text, file);
  return { config, issues };
}

/** validateConfig, also returning the parsed source. */
export function analyseConfig(text: string, file: string): ConfigAnalysis {
  const source = parseConfigSource(text, file);
  const data = source.data;
  if (!data) return { config: null, issues: sortIssues(source.issues), source };

  const staged = hasStages(data);
  const ruleIssues = staged ? stageRules(data, source) : RULES.flatMap(([, rule]) => rule(data, source));
  // a control character is reported once, with the reason, rather than also as a pattern mismatch
  const explained = new Set(directivesAreSingleLine(data, source).map((i) => i.path));
  const issues = [...validateSchema(data, source, (p) => explained.has(p)), ...ruleIssues];
  if (issues.length > 0) return { config: null, issues: sortIssues(issues), source };
  return { config: staged ? normaliseStages(data, file) : normaliseConfig(data, file), issues: [], source };
}

/** By position; and every message kept to one line, whatever text from the config it quotes. */
function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  const oneLine = (s: string) => s.replace(/[\r\n\0]/g, (c) => JSON.stringify(c).slice(1, -1));
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => a.issue.line - b.issue.line || a.issue.col - b.issue.col || a.i - b.i)
    .map(({ issue }) => ({ ...issue, path: oneLine(issue.path), message: oneLine(issue.message) }));
}
