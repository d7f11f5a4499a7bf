// Repository state: `git status --porcelain=v2` parsed from pasted real output, and read from real repositories.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DIRTY_LISTED, parseStatus, readRepoState, repositoryOf } from '../../src/provenance/git.js';
import { commitAll, git, outsideRepo } from '../helpers/git.js';

t.test('parseStatus: commit, branch, and every changed path (spaces, a rename, a deletion, a staged new file)', async (t) => {
  // git 2.39 `status --porcelain=v2 --branch -z --untracked-files=no` after: edit a.txt, rm "b c.txt", git mv d.txt "e f.txt", git add new.txt
  const out =
    '# branch.oid 2c3e9515b5ae1106402925e52eeeabd8657363a5\0# branch.head main\0' +
    '1 .M N... 100644 100644 100644 78981922613b2afb6025042ff6bd878ac1994e85 78981922613b2afb6025042ff6bd878ac1994e85 a.txt\0' +
    '1 .D N... 100644 100644 000000 61780798228d17af2d34fce4cfbdf35556832472 61780798228d17af2d34fce4cfbdf35556832472 b c.txt\0' +
    '2 R. N... 100644 100644 100644 4bcfe98e640c8284511312660fb8709b0afa888e 4bcfe98e640c8284511312660fb8709b0afa888e R100 e f.txt\0d.txt\0' +
    '1 A. N... 000000 100644 100644 0000000000000000000000000000000000000000 8ba3a16384aacc37d01564b28401755ce8053f51 new.txt\0';
  t.strictSame(parseStatus(out), { commit: '2c3e9515b5ae1106402925e52eeeabd8657363a5', branch: 'main', changed: ['a.txt', 'b c.txt', 'e f.txt', 'new.txt'] });
  t.strictSame(parseStatus('# branch.oid (initial)\0# branch.head (detached)\0'), { commit: null, branch: null, changed: [] });
});

t.test('repositoryOf: the top level from a subdirectory, null outside any repository', async (t) => {
  const dir = outsideRepo(t);
  t.equal(await repositoryOf(dir), null);
  writeFileSync(join(dir, 'x'), 'x');
  await commitAll(dir);
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  t.equal(await repositoryOf(sub), dir);
});

t.test('readRepoState: commit and branch; changed tracked files and untracked own files are dirty, other untracked files are not', async (t) => {
  const dir = outsideRepo(t);
  writeFileSync(join(dir, 'sim.py'), 'print(1)\n');
  writeFileSync(join(dir, '.gitignore'), 'mesh.h5\n');
  const head = await commitAll(dir);
  t.strictSame(await readRepoState(dir, ['sim.py']), { root: dir, commit: head, branch: 'main', dirty: [], dirty_count: 0 });
  writeFileSync(join(dir, 'sim.py'), 'print(2)\n');
  writeFileSync(join(dir, 'input.txt'), 'new\n');
  writeFileSync(join(dir, 'mesh.h5'), 'ignored\n');
  writeFileSync(join(dir, 'scratch.log'), 'not ours\n');
  t.strictSame(await readRepoState(dir, ['sim.py', 'input.txt', 'mesh.h5']), { root: dir, commit: head, branch: 'main', dirty: ['sim.py', 'input.txt'], dirty_count: 2 });
  await git(dir, 'checkout', '-q', '--detach');
  t.equal((await readRepoState(dir, [])).branch, null, 'a detached HEAD has no branch');
});

t.test('readRepoState: at most DIRTY_LISTED files listed, all counted', async (t) => {
  const dir = outsideRepo(t);
  const n = DIRTY_LISTED + 5;
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `f${i}`), 'a');
  await commitAll(dir);
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `f${i}`), 'b');
  const s = await readRepoState(dir, []);
  t.equal(s.dirty.length, DIRTY_LISTED);
  t.equal(s.dirty_count, n);
});
