// readConfig / readConfigText / readConfigObject: a config from a file, from YAML text or from a plain object, validated, with the files it names checked (the I/O edge of src/config/).

import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { ConfigSource, Segment } from './source.js';
import type { Config, InputsSpec } from './types.js';
import { analyseConfig } from './validate.js';

export { validateConfig } from './validate.js';

/** The name a config object is given in issues and in the manifest: a virtual file in the directory its relative paths resolve against. */
export const CONFIG_OBJECT_FILE = 'arrayflow.config';

/**
 * Read and validate the config at `file`. Throws ConfigError carrying every issue found: syntax,
 * schema, cross-field rules, and input files (inputs.copy/link/dir, sampling.file) that do not exist.
 */
export async function readConfig(file: string): Promise<Config> {
  return (await readConfigFile(file)).config;
}

/** {@link readConfig}, also returning the file's text (frozen into the ensemble directory as config.yaml). */
export async function readConfigFile(file: string): Promise<{ config: Config; text: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file; check the path (it is relative to the current directory)'
        : code === 'EISDIR'
          ? `it is a directory; give the path of the YAML config file (an ensemble directory is continued by \`arrayflow resume ${file}\`)`
          : `cannot read it (${code ?? (e as Error).message})`;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `config file ${file}: ${why}` }], { cause: e });
  }
  return { config: await readConfigText(text, file), text };
}

/**
 * The YAML text of a config object, as it is validated and frozen into the ensemble directory: one document,
 * no anchors (an object used twice is written twice), no folded lines. Throws ConfigError (located at `file`)
 * when the object is not plain data (a function, a symbol, a cycle).
 */
export function configObjectText(config: unknown, file: string): string {
  try {
    // undefined (no config at all) becomes an empty document, which validation reports as such
    return stringify(config, { aliasDuplicateObjects: false, lineWidth: 0 }) ?? '';
  } catch (e) {
    const why = e instanceof RangeError ? 'it refers to itself' : (e as Error).message;
    const message = `the config object cannot be written as YAML (${why}); give plain data: strings, numbers, true/false, lists and objects`;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message }], { cause: e });
  }
}

/**
 * Validate a config given as a plain object (the shape of the YAML file). Relative paths in it resolve against
 * `baseDir`; issues name the virtual file `<baseDir>/arrayflow.config` and their line:col are in the YAML text
 * the object is serialised to (returned as `text`). Throws ConfigError like {@link readConfig}.
 */
export async function readConfigObject(config: unknown, baseDir: string): Promise<{ config: Config; text: string }> {
  const dir = path.resolve(baseDir);
  const file = path.join(dir, CONFIG_OBJECT_FILE);
  const text = configObjectText(config, file);
  return { config: await readConfigText(text, file, `the base directory ${dir}`), text };
}

/**
 * Validate a config object without touching the filesystem (pure): like {@link readConfigObject} but the files it
 * names are not checked, and issues are returned, not thrown. `text` is the YAML the issues' line:col refer to.
 */
export function validateConfigObject(config: unknown, baseDir: string): { config: Config | null; issues: ConfigIssue[]; text: string } {
  const file = path.join(path.resolve(baseDir), CONFIG_OBJECT_FILE);
  let text: string;
  try {
    text = configObjectText(config, file);
  } catch (e) {
    if (e instanceof ConfigError) return { config: null, issues: e.issues, text: '' };
    throw e;
  }
  const { config: valid, issues } = analyseConfig(text, file);
  return { config: valid, issues, text };
}

/**
 * Validate config `text` read from `file` (which names it in issues and anchors its relative paths), then check
 * that the files it names exist. Throws ConfigError carrying every issue found. `relativeTo` says, in the
 * message about a missing file, what relative paths are relative to.
 */
export async function readConfigText(text: string, file: string, relativeTo = "the config's directory"): Promise<Config> {
  const { config, issues, source } = analyseConfig(text, file);
  if (!config) throw new ConfigError(issues);

  const checksOf = (c: Config, at: (p: Segment[]) => Segment[]): FileCheck[] => {
    const checks = inputChecks(c.inputs, at);
    if (c.sampling.file) checks.push({ path: at(['sampling', 'file']), abs: c.sampling.file, want: 'file', what: 'points file' });
    return checks;
  };
  // a stage's files are located at the stage's key when the stage sets it, else at the inherited top-level key
  const stageKeys = (i: number) => Object.keys((source.data?.stages as Array<Record<string, unknown>> | undefined)?.[i] ?? {});
  const all = config.stages
    ? config.stages.flatMap((s, i) => checksOf(s, (p) => (stageKeys(i).includes(String(p[0])) ? ['stages', i, ...p] : p)))
    : checksOf(config, (p) => p);
  const checks = all.filter((c, i) => all.findIndex((o) => o.abs === c.abs && o.path.join('.') === c.path.join('.')) === i);

  const missing = await missingFiles(checks, source, relativeTo);
  if (missing.length > 0) throw new ConfigError(missing);
  return config;
}

/** A file a config names that must exist when tasks run or are planned: its key path, absolute path and kind. */
export interface FileCheck {
  path: Segment[];
  abs: string;
  want: 'file' | 'dir' | 'any';
  what: string;
}

/** The inputs every task stages (inputs.copy, inputs.link, inputs.dir), as files to check; `at` places a key path (a stage's). */
export function inputChecks(inputs: InputsSpec, at: (p: Segment[]) => Segment[] = (p) => p): FileCheck[] {
  const checks: FileCheck[] = [
    ...inputs.copy.map((abs, i) => ({ path: at(['inputs', 'copy', i]), abs, want: 'any' as const, what: 'input to copy' })),
    ...inputs.link.map((abs, i) => ({ path: at(['inputs', 'link', i]), abs, want: 'any' as const, what: 'input to link' })),
  ];
  if (inputs.dir) checks.push({ path: at(['inputs', 'dir']), abs: inputs.dir, want: 'dir', what: 'input directory' });
  return checks;
}

/**
 * The files of `checks` that are missing or not of their kind, as issues located by `source` (the config text that
 * names them); `relativeTo` says, in the message about a missing file, what its relative path was relative to.
 */
export async function missingFiles(checks: FileCheck[], source: Pick<ConfigSource, 'issue'>, relativeTo: string): Promise<ConfigIssue[]> {
  const found = await Promise.all(
    checks.map(async (c): Promise<ConfigIssue | undefined> => {
      const s = await stat(c.abs).catch(() => undefined);
      if (!s) return source.issue(c.path, `${c.what} ${c.abs} does not exist; paths are relative to ${relativeTo}`);
      if (c.want === 'dir' && !s.isDirectory()) return source.issue(c.path, `${c.what} ${c.abs} is not a directory`);
      if (c.want === 'file' && !s.isFile()) return source.issue(c.path, `${c.what} ${c.abs} is not a regular file`);
      return undefined;
    }),
  );
  return found.filter((i): i is ConfigIssue => i !== undefined);
}
