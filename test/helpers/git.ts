// Test helpers: temp directories outside every git repository (t.testdir lives inside arrayflow's), and git run in them with a fixed identity.
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Test } from 'tap';

/** A temp dir outside any git repository, removed after the test. */
export function outsideRepo(t: Test): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'arrayflow-git-')));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// the user's and the system's git config (signing, hooks, default branch) stay out of the tests
const env = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.org',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.org',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** Runs git in `dir`; its stdout, trimmed. */
export async function git(dir: string, ...args: string[]): Promise<string> {
  return (await execa('git', ['-C', dir, ...args], { env, stdin: 'ignore' })).stdout.trim();
}

/** `dir` made a repository on branch `main` with everything in it committed; the commit. */
export async function commitAll(dir: string, message = 'commit'): Promise<string> {
  if ((await execa('git', ['-C', dir, 'rev-parse', '--git-dir'], { reject: false, env })).exitCode !== 0) await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}
