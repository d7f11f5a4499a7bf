// Filesystem primitives: atomic replace without leftovers, directory sync, and append-only files whose torn tail is sealed.
import t from 'tap';
import { fstatSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { AppendOnlyFile, syncDir, writeFileAtomic } from '../../src/util/fs.js';
import { fillUp, mountTmpfs, remount } from '../helpers/tmpfs.js';

t.test('writeFileAtomic writes text and bytes, replaces an old file, leaves no temp file', async (t) => {
  const dir = t.testdir({ 'a.json': 'old content that is longer than the new one' });
  const path = join(dir, 'a.json');
  await writeFileAtomic(path, '{"v":2}\n');
  t.equal(readFileSync(path, 'utf8'), '{"v":2}\n', 'replaced whole, no tail of the old content');
  await writeFileAtomic(join(dir, 'b.bin'), new Uint8Array([0, 255, 10]));
  t.same([...readFileSync(join(dir, 'b.bin'))], [0, 255, 10]);
  t.same(readdirSync(dir).sort(), ['a.json', 'b.bin'], 'no .tmp- files left');
});

t.test('writeFileAtomic into a missing directory rejects and creates nothing', async (t) => {
  const dir = t.testdir({});
  await t.rejects(writeFileAtomic(join(dir, 'nope', 'a.json'), 'x'), { code: 'ENOENT' });
  t.same(readdirSync(dir), []);
});

t.test('writeFileAtomic whose rename fails keeps the old entry and leaves no temp file', async (t) => {
  const dir = t.testdir({ 'a.json': { 'inside.txt': 'keep' } });
  await t.rejects(writeFileAtomic(join(dir, 'a.json'), 'new'), 'a file cannot replace a non-empty directory');
  t.equal(readFileSync(join(dir, 'a.json', 'inside.txt'), 'utf8'), 'keep', 'the old entry is untouched');
  t.same(readdirSync(dir), ['a.json'], 'no temp file left');
});

t.test('syncDir: an existing directory syncs, a missing one is no error', async (t) => {
  const dir = t.testdir({ sub: {} });
  await t.resolves(syncDir(join(dir, 'sub')));
  await t.resolves(syncDir(join(dir, 'missing')));
});

/** Opens `path` as an append-only file, appends `lines` one call each, closes it, and returns its text. */
function appendAll(path: string, ...lines: string[]): string {
  const file = new AppendOnlyFile(path);
  for (const line of lines) file.append(line);
  file.close();
  return readFileSync(path, 'utf8');
}

t.test('append: one newline-terminated line per call, a given newline not doubled', async (t) => {
  t.equal(appendAll(join(t.testdir({}), 'log.ndjson'), '{"a":1}', '{"a":2}\n'), '{"a":1}\n{"a":2}\n');
});

t.test('AppendOnlyFile appends after what is there and never overwrites it', async (t) => {
  t.equal(appendAll(join(t.testdir({ 'log.ndjson': 'one\n' }), 'log.ndjson'), 'two'), 'one\ntwo\n');
});

t.test('AppendOnlyFile seals a torn last line so the next line stays whole', async (t) => {
  const text = appendAll(join(t.testdir({ 'log.ndjson': '{"a":1}\n{"a":' }), 'log.ndjson'), '{"a":3}');
  t.same(text.split('\n'), ['{"a":1}', '{"a":', '{"a":3}', '']);
});

t.test('AppendOnlyFile on an empty or missing file adds nothing before the first line', async (t) => {
  const dir = t.testdir({ 'empty.ndjson': '' });
  t.equal(appendAll(join(dir, 'empty.ndjson'), 'x'), 'x\n');
  t.equal(appendAll(join(dir, 'new.ndjson'), 'x'), 'x\n');
  t.equal(appendAll(join(dir, 'nothing.ndjson')), '', 'opening alone creates an empty file');
});

t.test('two descriptors of one file append whole lines in turn (O_APPEND)', async (t) => {
  const dir = t.testdir({});
  const path = join(dir, 'log.ndjson');
  writeFileSync(path, '');
  const a = new AppendOnlyFile(path);
  const b = new AppendOnlyFile(path);
  for (let i = 0; i < 50; i++) {
    a.append(`a${i}`);
    b.append(`b${i}`);
  }
  a.close();
  b.close();
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  t.equal(lines.length, 100, 'no line overwrote another');
  t.same(lines.slice(0, 4), ['a0', 'b0', 'a1', 'b1']);
});

/** node:fs as a CommonJS module: its functions can be replaced, and syncBuiltinESMExports makes its ESM bindings follow. */
const fs = createRequire(import.meta.url)('node:fs') as { fstatSync: typeof fstatSync };

/** Counts the fstat(2) calls `fn` makes through node:fs. */
function fstats(fn: () => void): number {
  const real = fs.fstatSync;
  let n = 0;
  fs.fstatSync = ((...args: Parameters<typeof real>) => (n++, real(...args))) as typeof real;
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    fs.fstatSync = real;
    syncBuiltinESMExports();
  }
  return n;
}

t.test('a sole writer (an element\'s start lines) appends a line with one write(2) and no fstat(2)', async (t) => {
  const dir = t.testdir({ 'shared.ndjson': '', 'sole.ndjson': '{"a":' });
  const hundredLines = (f: AppendOnlyFile) => () => {
    for (let i = 0; i < 100; i++) f.append(`{"i":${i}}`);
  };
  const shared = new AppendOnlyFile(join(dir, 'shared.ndjson'));
  t.equal(fstats(hundredLines(shared)), 100, 'a file others may append to: one fstat a line (a torn write is taken back only while it is the last)');
  shared.close();
  const sole = new AppendOnlyFile(join(dir, 'sole.ndjson'), { sole: true });
  t.equal(fstats(hundredLines(sole)), 0, 'sole: none');
  sole.close();
  const lines = readFileSync(join(dir, 'sole.ndjson'), 'utf8').split('\n');
  t.same([lines.length, lines[0], lines[1], lines[100]], [102, '{"a":', '{"i":0}', '{"i":99}'], 'the torn tail sealed, then whole lines');
});

for (const sole of [false, true]) {
  t.test(`a full filesystem${sole ? ' (a sole writer)' : ''}: a line that does not fit is a StorageError naming the file, and no part of it stays`, async (t) => {
    const dir = await mountTmpfs(t, '64k');
    if (dir === null) return;
    const path = join(dir, 'r.ndjson');
    const first = JSON.stringify({ task: 0, pad: 'x'.repeat(80) });
    const f = new AppendOnlyFile(path, { sole });
    t.teardown(() => f.close());
    f.append(first);
    const filler = fillUp(dir);
    // the file's page has ~4 KB left: a 10 KB line is written in part (a short write), then taken back
    t.throws(() => f.append('y'.repeat(10_000)), { name: 'StorageError', code: 'E_STORAGE', errno: 'ENOSPC', path, message: `cannot write ${path}: no space left on device (ENOSPC)` });
    t.equal(readFileSync(path, 'utf8'), first + '\n', 'the torn part was cut off');
    f.append('{"small":1}');
    t.equal(readFileSync(path, 'utf8'), `${first}\n{"small":1}\n`, 'a line that fits still goes in whole, right after');
    unlinkSync(filler);
    f.append('y'.repeat(10_000));
    t.same(readFileSync(path, 'utf8').split('\n').map((l) => l.length), [first.length, 11, 10_000, 0], 'with room again, whole lines only');
  });
}

t.test('a read-only filesystem: opening for append and writeFileAtomic are StorageErrors (EROFS) naming the file', async (t) => {
  const dir = await mountTmpfs(t, '64k');
  if (dir === null) return;
  writeFileSync(join(dir, 'a.txt'), 'old');
  await remount(dir, true);
  t.throws(() => new AppendOnlyFile(join(dir, 'j.ndjson')), { name: 'StorageError', errno: 'EROFS', message: `cannot write ${join(dir, 'j.ndjson')}: read-only file system (EROFS)` });
  await t.rejects(writeFileAtomic(join(dir, 'a.txt'), 'new'), { name: 'StorageError', errno: 'EROFS', path: join(dir, 'a.txt') });
  t.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'old');
});
