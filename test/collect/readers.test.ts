import t, { type Test } from 'tap';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type OpResult, drain } from '../../src/collect/readers.js';

/** Every file under `root` read through `drain` (directories listed, links to directories not followed), by relative path. */
async function walk(root: string, slowOpUs?: number): Promise<Map<string, string | OpResult>> {
  const seen = new Map<string, string | OpResult>();
  type W = { dir: string } | { file: string };
  const abs = (p: string) => (p === '' ? root : `${root}/${p}`);
  await drain<W>(
    [{ dir: '' }],
    3,
    (w) => ('file' in w ? `r${abs(w.file)}` : `l${abs(w.dir)}`),
    (w, r, push) => {
      if ('file' in w) return void seen.set(w.file, r);
      if (typeof r === 'string' || 'error' in r) return void seen.set(`${w.dir}/`, r);
      r.names.forEach((name, i) => {
        const rel = w.dir === '' ? name : `${w.dir}/${name}`;
        if (r.kinds[i] === 'd') push({ dir: rel });
        else if (r.kinds[i] === 'f') push({ file: rel });
        else seen.set(rel, 'link to a directory');
      });
    },
    slowOpUs,
  );
  return seen;
}

t.test('a walk gives the same results inline (fast filesystem) and on reader threads (every batch slow)', async (t) => {
  const root = t.testdir();
  // more files than one batch, so that the threaded walk hands batches to several threads
  for (let d = 0; d < 7; d++) {
    mkdirSync(join(root, `run_${d}`));
    for (let f = 0; f < 60; f++) writeFileSync(join(root, `run_${d}`, `r${f}.json`), `{"d": ${d}, "f": ${f}}`);
  }
  writeFileSync(join(root, 'big.txt'), 'x'.repeat(40_000));
  symlinkSync(join(root, 'run_0'), join(root, 'link'));

  const inline = await walk(root);
  const threaded = await walk(root, 0);
  t.equal(inline.size, 7 * 60 + 2, 'every file, the big file and the link');
  t.same([...threaded].sort(), [...inline].sort(), 'the same results either way');
  t.equal(inline.get('run_3/r17.json'), '{"d": 3, "f": 17}');
  t.equal((inline.get('big.txt') as string).length, 40_000, 'a file larger than the read buffer is read whole');
  t.equal(inline.get('link'), 'link to a directory');
});

t.test('a failed operation is an error result, not a throw, inline and on threads', async (t) => {
  const root = t.testdir({ 'a.json': '{}' });
  for (const slow of [undefined, 0]) {
    const got: OpResult[] = [];
    await drain([`r${root}/gone.json`, `l${root}/a.json`, `r${root}`], 2, (w) => w, (_w, r) => void got.push(r), slow);
    t.match(got, [{ error: { code: 'ENOENT' } }, { error: { code: 'ENOTDIR' } }, { error: { code: 'EISDIR' } }], `slowOpUs ${String(slow)}`);
  }
});

/** 130 readable files, then `head` ops first in the queue: a batch takes the queue's last 128, so with slowOpUs 0 the
 * head ops are the second batch, on a reader thread, and inline they are the second inline batch. */
function ops(t: Test, head: string[]): string[] {
  const root = t.testdir(Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`f${i}.json`, '{}'])));
  return [...head.map((h) => h.replace('ROOT', root)), ...Array.from({ length: 130 }, (_, i) => `r${root}/f${i}.json`)];
}

t.test('an error thrown by the handler rejects the walk, inline and on a reader thread', async (t) => {
  for (const slow of [undefined, 0]) {
    const all = ops(t, ['rROOT/f0.json']);
    await t.rejects(
      drain(all, 2, (w) => w, (w) => {
        if (w === all[0]) throw new Error('handler failed');
      }, slow),
      { message: 'handler failed' },
      `slowOpUs ${String(slow)}`,
    );
  }
});

t.test('a failed operation is an error result, not a throw, inline and on a reader thread', async (t) => {
  for (const slow of [undefined, 0]) {
    const all = ops(t, ['rROOT/gone.json', 'lROOT/f1.json', 'rROOT']);
    const got = new Map<string, OpResult>();
    await drain(all, 2, (w) => w, (w, r) => void got.set(w, r), slow);
    t.equal(got.size, all.length, 'every op has a result');
    t.match([all[0], all[1], all[2]].map((w) => got.get(w)), [{ error: { code: 'ENOENT' } }, { error: { code: 'ENOTDIR' } }, { error: { code: 'EISDIR' } }], `slowOpUs ${String(slow)}`);
    t.equal(got.get(all[3]), '{}');
  }
});
