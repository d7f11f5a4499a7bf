// A task's scratch dir: one mkdir (0700, like mkdtemp) with its owner file, the root made on first use; removal of
// files at once and of the dir before the wrapper exits; the sweep of dirs whose owner process is gone.
import t from 'tap';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HOST, OWNER_FILE, copyOverSync, makeScratch, overwriteSync, removeScratch, scratchRemoved, sweepStaleScratch } from '../../src/node/scratch.js';

t.test('makeScratch: <root>/<prefix>XXXXXX, mode 0700, owner file with host and pid; the root is made when missing', async (t) => {
  const root = join(t.testdir(), 'not', 'yet');
  const a = makeScratch(root, 'arrayflow-s-t1-');
  const b = makeScratch(root, 'arrayflow-s-t1-');
  t.not(a, b, 'two dirs for the same task never collide');
  for (const dir of [a, b]) {
    t.match(dir, /\/arrayflow-s-t1-[a-z0-9]{6}$/);
    t.equal(statSync(dir).mode & 0o777, 0o700);
    t.same(readdirSync(dir), [OWNER_FILE]);
    t.same(JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8')), { host: hostname(), pid: process.pid });
  }
  t.equal(HOST, hostname());
});

t.test('removeScratch: files, links and subdirs go at once, the dir itself by scratchRemoved', async (t) => {
  const root = t.testdir({ target: { 'keep.txt': 'not ours' } });
  const dir = makeScratch(root, 'arrayflow-s-t2-');
  writeFileSync(join(dir, 'result.json'), '{}');
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(dir, 'sub', 'deeper', 'x.bin'), 'x');
  symlinkSync(join(root, 'target'), join(dir, 'link'));
  removeScratch(dir);
  t.ok(!existsSync(join(dir, 'result.json')) && !existsSync(join(dir, 'sub')) && !existsSync(join(dir, 'link')), 'the task files are gone on return');
  await scratchRemoved();
  t.notOk(existsSync(dir), 'the dir is gone once scratchRemoved resolves');
  t.ok(existsSync(join(root, 'target', 'keep.txt')), 'a linked input is unlinked, not followed');
});

t.test('an emptied dir is the next task\'s dir renamed (mode 0700, owner file only); a spare something wrote into is removed instead', async (t) => {
  const root = t.testdir();
  const first = makeScratch(root, 'arrayflow-r-t1-');
  writeFileSync(join(first, 'result.json'), '{}');
  chmodSync(first, 0o755);
  const inode = statSync(first).ino;
  removeScratch(first);
  t.same(readdirSync(first), [OWNER_FILE], 'emptied, the owner file kept');
  const second = makeScratch(root, 'arrayflow-r-t2-');
  t.match(second, /\/arrayflow-r-t2-[a-z0-9]{6}$/);
  t.equal(statSync(second).ino, inode, 'the same dir, renamed');
  t.equal(statSync(second).mode & 0o777, 0o700);
  t.same(readdirSync(second), [OWNER_FILE]);
  t.notOk(existsSync(first));
  removeScratch(second);
  writeFileSync(join(second, 'late.log'), 'a process that left the task group');
  const third = makeScratch(root, 'arrayflow-r-t3-');
  t.not(statSync(third).ino, inode, 'a spare holding a stray file is not reused');
  removeScratch(third);
  await scratchRemoved();
  t.same(readdirSync(root), [], 'spares and the stray dir are gone once scratchRemoved resolves');
});

t.test('removeScratch keeps the reusable regular files for the next task to overwrite, and nothing else of that name', async (t) => {
  const root = t.testdir({ elsewhere: 'target' });
  const own = new Set(['params.json', 'stdout.txt', 'sim.sh']);
  const first = makeScratch(root, 'arrayflow-k-t1-');
  writeFileSync(join(first, 'params.json'), '{"x":1}');
  writeFileSync(join(first, 'stdout.txt'), 'out');
  writeFileSync(join(first, 'result.json'), '{}');
  symlinkSync(join(root, 'elsewhere'), join(first, 'sim.sh')); // replaced by the simulation: not a regular file
  const inode = statSync(join(first, 'params.json')).ino;
  removeScratch(first, own);
  t.same(readdirSync(first).sort(), [OWNER_FILE, 'params.json', 'stdout.txt'].sort(), 'the result and the link go; own regular files stay');
  const second = makeScratch(root, 'arrayflow-k-t2-');
  t.equal(statSync(join(second, 'params.json')).ino, inode, 'the spare with its kept files is the next dir');
  removeScratch(second, own);
  writeFileSync(join(second, 'late.log'), 'a process that left the task group');
  const third = makeScratch(root, 'arrayflow-k-t3-');
  t.same(readdirSync(third), [OWNER_FILE], 'a spare holding a stray file is not reused: the next dir is new');
  writeFileSync(join(third, 'params.json'), '{"x":3}');
  removeScratch(third, own);
  // a process that left the task group puts a link where the next task's params.json would be written
  unlinkSync(join(third, 'params.json'));
  symlinkSync(join(root, 'elsewhere'), join(third, 'params.json'));
  const fourth = makeScratch(root, 'arrayflow-k-t4-');
  t.same(readdirSync(fourth), [OWNER_FILE], 'a spare whose kept name became a link is not reused');
  t.equal(readFileSync(join(root, 'elsewhere'), 'utf8'), 'target', 'the link\'s target is untouched');
  removeScratch(fourth, own);
  await scratchRemoved();
  t.same(readdirSync(root), ['elsewhere'], 'every scratch dir is gone once scratchRemoved resolves');
});

t.test('overwriteSync writes a kept file in place: same inode, exactly the new content whether shorter, longer or equal', async (t) => {
  const dir = t.testdir({ 'params.json': '{"task_id": 1, "x": 123456789}\n' });
  const p = join(dir, 'params.json');
  const ino = statSync(p).ino;
  for (const text of ['{"x": 1}\n', '{"task_id": 2, "x": 1234567890123}\n', '{"task_id": 2, "x": 1234567890124}\n', '']) {
    overwriteSync(p, text);
    t.equal(readFileSync(p, 'utf8'), text, `content ${JSON.stringify(text)}`);
    t.equal(statSync(p).ino, ino, 'the same file, written in place');
  }
  overwriteSync(join(dir, 'new.json'), 'made');
  t.equal(readFileSync(join(dir, 'new.json'), 'utf8'), 'made', 'a missing file is made');
});

t.test('copyOverSync restores an input the previous task changed, its mode included; a large input is copied whole', async (t) => {
  const dir = t.testdir({ src: { 'sim.sh': 'echo hello\n', 'big.bin': 'b'.repeat((1 << 20) + 1) }, scratch: { 'sim.sh': 'rm -rf / # edited by the last task, longer\n' } });
  const src = join(dir, 'src', 'sim.sh');
  const dest = join(dir, 'scratch', 'sim.sh');
  chmodSync(src, 0o750);
  chmodSync(dest, 0o600);
  copyOverSync(src, dest);
  t.equal(readFileSync(dest, 'utf8'), 'echo hello\n');
  t.equal(statSync(dest).mode & 0o7777, 0o750, 'the source\'s mode');
  copyOverSync(join(dir, 'src', 'big.bin'), join(dir, 'scratch', 'big.bin'));
  t.equal(readFileSync(join(dir, 'scratch', 'big.bin'), 'utf8'), 'b'.repeat((1 << 20) + 1));
});

t.test('removeScratch of a dir that is already gone neither throws nor leaves a removal pending', async (t) => {
  removeScratch(join(t.testdir(), 'never-made'));
  await scratchRemoved();
  t.pass();
});

t.test('sweepStaleScratch removes dirs of this ensemble whose owner process on this host is gone, nothing else', async (t) => {
  const root = t.testdir();
  const dead = makeScratch(root, 'arrayflow-sw-t1-');
  // a pid that is not running: the largest possible pid is never one of ours
  writeFileSync(join(dead, OWNER_FILE), JSON.stringify({ host: HOST, pid: 2 ** 22 + 1 }));
  const alive = makeScratch(root, 'arrayflow-sw-t2-');
  const otherHost = makeScratch(root, 'arrayflow-sw-t3-');
  writeFileSync(join(otherHost, OWNER_FILE), JSON.stringify({ host: `${HOST}-elsewhere`, pid: 2 ** 22 + 1 }));
  const otherEnsemble = makeScratch(root, 'arrayflow-other-t1-');
  writeFileSync(join(otherEnsemble, OWNER_FILE), JSON.stringify({ host: HOST, pid: 2 ** 22 + 1 }));
  const noOwner = join(root, 'arrayflow-sw-t4-abcdef');
  mkdirSync(noOwner);
  t.same(await sweepStaleScratch(root, 'sw'), [dead]);
  for (const d of [alive, otherHost, otherEnsemble, noOwner]) t.ok(existsSync(d), `${d} kept`);
  t.same(await sweepStaleScratch(join(root, 'missing'), 'sw'), [], 'a missing root is nothing to sweep');
});
