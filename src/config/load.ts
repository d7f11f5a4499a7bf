// readConfig: read a config file, validate it, and check that the files it names exist (the I/O edge of src/config/).

import { readFile, stat } from 'node:fs/promises';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { Segment } from './source.js';
import type { Config } from './types.js';
import { analyseConfig } from './validate.js';

export { validateConfig } from './validate.js';

/**
 * Read and validate the config at `file`. Throws ConfigError carrying every issue found: syntax,
 * schema, cross-field rules, and input files (inputs.copy/link/dir, sampling.file) that do not exist.
 */
export async function readConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file; check the path (it is relative to the current directory)'
        : code === 'EISDIR'
          ? 'it is a directory; give the path of the YAML config file'
          : `cannot read it (${code ?? (e as Error).message})`;
    throw new ConfigError([{ file, line: 1, col: 1, path: '', message: `config file ${file}: ${why}` }], { cause: e });
  }

  const { config, issues, source } = analyseConfig(text, file);
  if (!config) throw new ConfigError(issues);

  type Check = { path: Segment[]; abs: string; want: 'file' | 'dir' | 'any'; what: string };
  const checksOf = (c: Config, at: (p: Segment[]) => Segment[]): Check[] => {
    const checks: Check[] = [
      ...c.inputs.copy.map((abs, i) => ({ path: at(['inputs', 'copy', i]), abs, want: 'any' as const, what: 'input to copy' })),
      ...c.inputs.link.map((abs, i) => ({ path: at(['inputs', 'link', i]), abs, want: 'any' as const, what: 'input to link' })),
    ];
    if (c.inputs.dir) checks.push({ path: at(['inputs', 'dir']), abs: c.inputs.dir, want: 'dir', what: 'input directory' });
    if (c.sampling.file) checks.push({ path: at(['sampling', 'file']), abs: c.sampling.file, want: 'file', what: 'points file' });
    return checks;
  };
  // a stage's files are located at the stage's key when the stage sets it, else at the inherited top-level key
  const stageKeys = (i: number) => Object.keys((source.data?.stages as Array<Record<string, unknown>> | undefined)?.[i] ?? {});
  const all = config.stages
    ? config.stages.flatMap((s, i) => checksOf(s, (p) => (stageKeys(i).includes(String(p[0])) ? ['stages', i, ...p] : p)))
    : checksOf(config, (p) => p);
  const checks = all.filter((c, i) => all.findIndex((o) => o.abs === c.abs && o.path.join('.') === c.path.join('.')) === i);

  const found = await Promise.all(
    checks.map(async (c): Promise<ConfigIssue | undefined> => {
      const s = await stat(c.abs).catch(() => undefined);
      if (!s) return source.issue(c.path, `${c.what} ${c.abs} does not exist; paths are relative to the config's directory`);
      if (c.want === 'dir' && !s.isDirectory()) return source.issue(c.path, `${c.what} ${c.abs} is not a directory`);
      if (c.want === 'file' && !s.isFile()) return source.issue(c.path, `${c.what} ${c.abs} is not a regular file`);
      return undefined;
    }),
  );
  const missing = found.filter((i): i is ConfigIssue => i !== undefined);
  if (missing.length > 0) throw new ConfigError(missing);
  return config;
}
