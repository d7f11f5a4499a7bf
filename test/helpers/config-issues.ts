// Test helper: the issues a rule (or a set of rules) finds in a few lines of YAML, as [line, col, path, message].
import type { ConfigIssue } from '../../src/errors.js';
import { type ConfigSource, parseConfigSource } from '../../src/config/source.js';

/** Where an issue is and what it says, in the order the fields appear in `c.yaml:line:col: path: message`. */
export type Located = [line: number, col: number, path: string, message: string];

/** Parses `lines` as the config c.yaml (it must parse) and runs `rules` on it. */
export function locatedIssues(rules: (data: Record<string, unknown>, src: ConfigSource) => ConfigIssue[], lines: string[]): Located[] {
  const src = parseConfigSource(lines.join('\n') + '\n', 'c.yaml');
  if (!src.data) throw new Error(`test config does not parse: ${JSON.stringify(src.issues)}`);
  return rules(src.data, src).map((i): Located => {
    if (i.file !== 'c.yaml') throw new Error(`issue of another file: ${i.file}`);
    return [i.line, i.col, i.path, i.message];
  });
}
