// The state of the git repositories holding an ensemble's files, read with the git CLI (argv through execa, never a shell).
import { execa } from 'execa';

/** At most this many dirty files are listed per repository (dirty_count has them all). */
export const DIRTY_LISTED = 100;

/** One repository as a run found it. */
export interface RepoState {
  /** The repository's top-level directory. */
  root: string;
  /** HEAD's commit; null in a repository without commits yet. */
  commit: string | null;
  /** The checked-out branch; null on a detached HEAD. */
  branch: string | null;
  /**
   * Files (relative to `root`) that the commit does not describe: tracked files changed since it, staged or not, and
   * the ensemble's own files that git does not track; the first {@link DIRTY_LISTED}, in git's order.
   */
  dirty: string[];
  dirty_count: number;
}

// --no-optional-locks: status may not take index.lock (a user's git running at the same time must not fail);
// --literal-pathspecs: an input named `a*.h5` is that file, not a glob.
async function git(cwd: string, args: string[]): Promise<string | null> {
  const r = await execa('git', ['--no-optional-locks', '--literal-pathspecs', '-C', cwd, ...args], { reject: false, stdin: 'ignore', timeout: 60_000 });
  return r.exitCode === 0 ? r.stdout : null;
}

/** The top level of the repository holding directory `dir`, or null when it is in none (or git cannot say). */
export async function repositoryOf(dir: string): Promise<string | null> {
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  return top === null || top.trim() === '' ? null : top.trim();
}

/**
 * Commit, branch and changed tracked files from `git status --porcelain=v2 --branch -z` (pure): NUL-separated
 * entries; `# branch.oid <sha>|(initial)`, `# branch.head <name>|(detached)`; a changed entry's path is its last
 * field (`1`: 8 fields before it, `2`: 9 and the old path as the next entry, `u`: 10).
 */
export function parseStatus(out: string): { commit: string | null; branch: string | null; changed: string[] } {
  let commit: string | null = null;
  let branch: string | null = null;
  const changed: string[] = [];
  const entries = out.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.startsWith('# branch.oid ')) commit = e.slice(13) === '(initial)' ? null : e.slice(13);
    else if (e.startsWith('# branch.head ')) branch = e.slice(14) === '(detached)' ? null : e.slice(14);
    else {
      const before = { '1': 8, '2': 9, u: 10 }[e[0]];
      if (before === undefined || e[1] !== ' ') continue;
      changed.push(e.split(' ').slice(before).join(' '));
      if (e[0] === '2') i++; // the rename's old path
    }
  }
  return { commit, branch, changed };
}

/** The state of the repository at `root`; `own` are the ensemble's files in it (relative paths), which count as dirty when untracked. */
export async function readRepoState(root: string, own: string[]): Promise<RepoState> {
  const [status, untracked] = await Promise.all([
    git(root, ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=no']),
    own.length === 0 ? '' : git(root, ['ls-files', '--others', '--exclude-standard', '-z', '--', ...own]),
  ]);
  const { commit, branch, changed } = parseStatus(status ?? '');
  const dirty = [...new Set([...changed, ...(untracked ?? '').split('\0').filter((p) => p !== '')])];
  return { root, commit, branch, dirty: dirty.slice(0, DIRTY_LISTED), dirty_count: dirty.length };
}
