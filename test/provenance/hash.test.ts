// The staged inputs' hashes: a file's sha256 as node:crypto gives it, a directory's as coreutils' sha256sum listing hashed.
import { createHash } from 'node:crypto';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { hashDirectory, sha256File } from '../../src/provenance/hash.js';

t.test('a file: its bytes streamed through sha256', async (t) => {
  const dir = t.testdir({ 'mesh.bin': Buffer.alloc(3 * 1024 * 1024 + 7, 0xab) });
  const file = join(dir, 'mesh.bin');
  const want = createHash('sha256').update(readFileSync(file)).digest('hex');
  t.equal(await sha256File(file), want);
});

t.test('a directory: sha256 of the sha256sum lines of its files in byte order, symlinked files followed', async (t) => {
  const dir = t.testdir({ tree: { 'b.txt': 'b\n', 'A.txt': 'A\n', 'with space.txt': 's\n', sub: { 'deep.dat': 'deep\n', empty: {} } }, 'outside.txt': 'o\n' });
  const tree = join(dir, 'tree');
  symlinkSync(join(dir, 'outside.txt'), join(tree, 'link.txt'));
  // the independent answer: find, C-locale sort and sha256sum from coreutils
  const found = (await execa('find', ['.', '(', '-type', 'f', '-o', '-xtype', 'f', ')', '-printf', '%P\\n'], { cwd: tree })).stdout;
  const sorted = (await execa('sort', { input: found, env: { LC_ALL: 'C' } })).stdout.split('\n');
  t.strictSame(sorted, ['A.txt', 'b.txt', 'link.txt', 'sub/deep.dat', 'with space.txt']);
  const listing = (await execa('sha256sum', sorted, { cwd: tree })).stdout + '\n';
  const h = await hashDirectory(tree);
  t.equal(h.sha256, createHash('sha256').update(listing).digest('hex'));
  t.equal(h.files, 5);
  t.equal(h.bytes, 13, 'the bytes of the five files');
  t.equal((await hashDirectory(tree)).sha256, h.sha256, 'stable');
});
