// What an ensemble runs: its program and staged inputs (sha256) and the git state of the repositories holding them and the config; refusing a dirty tree when the config asks.
import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parseConfigSource } from '../config/source.js';
import type { Config } from '../config/types.js';
import { UsageError } from '../errors.js';
import { which } from '../util/which.js';
import { type ContentHash, hashDirectory, sha256File } from './hash.js';
import { type RepoState, readRepoState, repositoryOf } from './git.js';

/** What a file of the ensemble is to it. */
export type FileRole = 'program' | 'inputs' | 'config';

/** A file or directory the tasks run or stage, and its hash (sha256 null: it could not be read, so its staging will fail). */
export interface StagedFile extends Omit<ContentHash, 'sha256'> {
  sha256: string | null;
  /** A file's modification time: unchanged with its size since the last run, its sha256 is taken from that run's. */
  mtime_ms?: number;
  /** `program`: the command's first word when it is a path, or a later word that is an absolute path of a file. */
  role: Exclude<FileRole, 'config'>;
  path: string;
}

/** A repository and what of the ensemble it holds. */
export interface RepoProvenance extends RepoState {
  holds: FileRole[];
}

export interface Provenance {
  /** sha256 of the config file's text (the frozen config.yaml). */
  config_sha256: string;
  files: StagedFile[];
  /** Every repository holding the program, an input or the config. */
  repositories: RepoProvenance[];
  /** The program, inputs or config that lie in no git repository. */
  outside_git: string[];
  /** Why no repository was looked at (git is not installed); absent when git was asked. */
  git_missing?: string;
}

const isFile = async (p: string) => (await stat(p).catch(() => null))?.isFile() === true;

/** The files the command runs: its first word when it names a path (a bare name is found on PATH, no repository of the run's), and later words that are absolute paths of files. */
async function programFiles(config: Config): Promise<string[]> {
  const [first, ...rest] = config.command;
  const literal = (w: string) => !w.includes('{');
  const candidates = [
    ...(literal(first) && first.includes('/') ? [resolve(dirname(config.source), first)] : []),
    ...rest.filter((w) => literal(w) && isAbsolute(w)),
  ];
  const found: string[] = [];
  for (const c of candidates) if (await isFile(c)) found.push(c);
  return found;
}

/** The program and the staged inputs, each once (the first role wins), in the config's order. */
async function stagedPaths(config: Config): Promise<Array<{ role: StagedFile['role']; path: string }>> {
  const all = [
    ...(await programFiles(config)).map((path) => ({ role: 'program' as const, path })),
    ...[...config.inputs.copy, ...config.inputs.link, ...(config.inputs.dir ? [config.inputs.dir] : [])].map((path) => ({ role: 'inputs' as const, path })),
  ];
  return all.filter((f, i) => all.findIndex((o) => o.path === f.path) === i);
}

/** The hash of a staged path; a file with the size and modification time it had in `previous` is not read again. */
async function hashStaged(path: string, previous: Provenance | undefined): Promise<Omit<StagedFile, 'role' | 'path'>> {
  const s = await stat(path).catch(() => null);
  if (s === null) return { sha256: null, bytes: 0 };
  if (s.isDirectory()) return hashDirectory(path).catch(() => ({ sha256: null, bytes: 0 }));
  const known = previous?.files.find((f) => f.path === path && f.bytes === s.size && f.mtime_ms === s.mtimeMs && f.sha256 !== null);
  return { sha256: known?.sha256 ?? (await sha256File(path)), bytes: s.size, mtime_ms: s.mtimeMs };
}

/**
 * The repositories holding `files` (absolute paths, symlinks resolved: the content lives at the target), each with
 * what it holds; the paths in none are returned apart.
 */
async function repositories(files: Array<{ role: FileRole; path: string }>): Promise<{ repos: RepoProvenance[]; outside: string[] }> {
  const byRoot = new Map<string, { holds: Set<FileRole>; own: string[] }>();
  const outside: string[] = [];
  // inputs side by side share a directory: git is asked once per directory
  const roots = new Map<string, Promise<string | null>>();
  const rootOf = (dir: string): Promise<string | null> => {
    let root = roots.get(dir);
    if (root === undefined) roots.set(dir, (root = repositoryOf(dir)));
    return root;
  };
  const found = await Promise.all(
    files.map(async (f) => {
      const real = await realpath(f.path).catch(() => null);
      if (real === null) return null; // a missing input: its entry in `files` says so
      return { ...f, real, root: await rootOf((await stat(real)).isDirectory() ? real : dirname(real)) };
    }),
  );
  for (const f of found) {
    if (f === null) continue;
    const { root, real } = f;
    if (root === null) {
      outside.push(f.path);
      continue;
    }
    const entry = byRoot.get(root) ?? { holds: new Set<FileRole>(), own: [] };
    entry.holds.add(f.role);
    // the config is frozen into the ensemble directory: only the program and inputs must be tracked to be described
    if (f.role !== 'config') entry.own.push(relative(root, real) || '.');
    byRoot.set(root, entry);
  }
  const repos = await Promise.all(
    [...byRoot].map(async ([root, { holds, own }]) => ({ ...(await readRepoState(root, own)), holds: [...holds] })),
  );
  return { repos, outside };
}

/**
 * The provenance of `config` (whose file text is `configText`): hashes of its program and inputs, and the git state of
 * their repositories and the config's. `previous`: the last run's, whose hashes of unchanged files are reused.
 */
export async function gatherProvenance(config: Config, configText: string, previous?: Provenance): Promise<Provenance> {
  const staged = await stagedPaths(config);
  const files: StagedFile[] = [];
  for (const f of staged) files.push({ ...f, ...(await hashStaged(f.path, previous)) });
  const base = { config_sha256: createHash('sha256').update(configText).digest('hex'), files };
  const all = [...staged, { role: 'config' as const, path: config.source }];
  if (which('git') === null) {
    return { ...base, repositories: [], outside_git: all.map((f) => f.path), git_missing: 'git is not on PATH: no commit or dirty state was recorded' };
  }
  // a config object (no file) has only its directory
  const located = await Promise.all(all.map(async (f) => (f.role === 'config' && !(await isFile(f.path)) ? { ...f, path: dirname(f.path) } : f)));
  const { repos, outside } = await repositories(located);
  return { ...base, repositories: repos, outside_git: outside };
}

// The refusal names this many files per repository, then how many more there are.
const NAMED = 10;

/** Whether two provenances differ in code or inputs: repositories, files and their hashes (not the config's hash, nor modification times). */
export function codeChanged(a: Provenance | undefined, b: Provenance): boolean {
  const code = (p: Provenance | undefined) =>
    p && JSON.stringify([p.repositories, p.files.map((f) => [f.role, f.path, f.sha256]), p.outside_git, p.git_missing]);
  return code(a) !== code(b);
}

/** Why `provenance` may not run under `provenance.require_clean_git` (pure; null: it may): the dirty repositories and their files. */
export function cleanGitRefusal(provenance: Provenance): string | null {
  if (provenance.git_missing !== undefined) return `${provenance.git_missing}, so a clean tree cannot be checked`;
  const dirty = provenance.repositories.filter((r) => r.dirty_count > 0);
  if (dirty.length === 0) return null;
  return dirty
    .map((r) => {
      const more = r.dirty_count > NAMED ? ` and ${r.dirty_count - NAMED} more` : '';
      const n = `${r.dirty_count} file${r.dirty_count === 1 ? '' : 's'}`;
      return `the repository ${r.root} (holding the ${r.holds.join(', ')}) has ${n} not committed: ${r.dirty.slice(0, NAMED).join(', ')}${more}`;
    })
    .join('; ');
}

/** Throws a UsageError (exit 2) when `config` sets provenance.require_clean_git and `provenance` is not clean; the message points at the key in `configText`. */
export function requireCleanGit(config: Config, configText: string, provenance: Provenance): void {
  if (config.provenance?.require_clean_git !== true) return;
  const why = cleanGitRefusal(provenance);
  if (why === null) return;
  const at = parseConfigSource(configText, config.source).locate(['provenance', 'require_clean_git'], { key: true });
  throw new UsageError(
    `${why}; provenance.require_clean_git is set (${config.source}:${at.line}:${at.col}): commit (or stash) them and run again, or set it to false to record the changes instead`,
  );
}
