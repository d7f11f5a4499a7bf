// Renders templates/<scheduler>/*.mustache into scripts (partials from templates/common/), with shell quoting as the single escaping layer.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Mustache from 'mustache';
import { packageRoot } from '../util/paths.js';
import { scriptValue } from './shell.js';

export const templatesDir = join(packageRoot, 'templates');

let partials: Record<string, string> | undefined;
function loadPartials(): Record<string, string> {
  partials ??= Object.fromEntries(
    readdirSync(join(templatesDir, 'common'))
      .filter((f) => f.endsWith('.mustache'))
      .map((f) => [basename(f, '.mustache'), readFileSync(join(templatesDir, 'common', f), 'utf8')]),
  );
  return partials;
}

/**
 * Renders templates/<name>.mustache (`slurm/array.sbatch`); partials are referenced by file name (`{{> task-body}}`);
 * `{{x}}` becomes shellQuote(x), so templates never quote values themselves — except a ShellLine (executor.setup),
 * written as it is.
 */
export function renderTemplate(name: string, view: object): string {
  const template = readFileSync(join(templatesDir, `${name}.mustache`), 'utf8');
  return Mustache.render(template, view, loadPartials(), { escape: scriptValue });
}
