// A task's scratch dir on the node: an emptied dir of an earlier task renamed (else one mkdir), owned (for the sweep),
// emptied without a recursive walk, the wrapper's own files kept for the next task to overwrite. Node-local scratch is
// a local filesystem: these are synchronous calls (microseconds each), where every fs/promises call costs a
// thread-pool round trip and an event-loop wake-up (≈ 0.3 ms each on a busy node).
import { chmodSync, closeSync, constants, copyFileSync, existsSync, fchmodSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { processAlive } from '../util/process.js';

/** Who made a scratch dir: lets a later wrapper remove what a SIGKILLed one (memory kill) could not. */
export const OWNER_FILE = '.arrayflow-owner';

/** This host's name, read once per process (every record carries it). */
export const HOST = hostname();

/** The owner file's content, the same for every task of this process. */
const OWNER = JSON.stringify({ host: HOST, pid: process.pid });

const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

function suffix(): string {
  let s = '';
  for (let i = 0; i < 6; i++) s += SUFFIX_CHARS[Math.floor(Math.random() * SUFFIX_CHARS.length)];
  return s;
}

/**
 * Emptied scratch dirs of this process (their owner file and the wrapper's own files kept), which the next tasks' dirs
 * are renamed from. On ext4 mounted with `discard` (this VM) an rmdir costs 0.3-2.4 ms and holds the root's lock, so
 * the next task's mkdir waited for it (≈ 1 ms per task); a rename costs ≈ 10 µs. Removed by {@link scratchRemoved}
 * before the wrapper exits.
 */
const spares: { dir: string; kept: ReadonlySet<string> }[] = [];

/** A spare dir under `root` renamed to `dir` (mode 0700 again, nothing in it but the owner file and kept files), or false. */
function reuseSpare(root: string, dir: string): boolean {
  const i = spares.findIndex((d) => dirname(d.dir) === root);
  if (i < 0) return false;
  const [spare] = spares.splice(i, 1);
  try {
    // a stray file (written after the dir was emptied by a process that left the task's group) disqualifies it, and
    // so does a kept name that is no longer a regular file (a link there would take the next task's params.json)
    if (readdirSync(spare.dir, { withFileTypes: true }).some((e) => e.name !== OWNER_FILE && !(spare.kept.has(e.name) && e.isFile()))) throw new Error('not empty');
    renameSync(spare.dir, dir);
    chmodSync(dir, 0o700);
    return true;
  } catch {
    dropDir(spare.dir);
    return false;
  }
}

/**
 * Makes `<root>/<prefix><6 random chars>` (mode 0700, like mkdtemp) with its owner file: an emptied dir of an earlier
 * task of this process renamed (owner file in it already), else one mkdir and one small write; the root is made on
 * first use (and again if it disappeared).
 */
export function makeScratch(root: string, prefix: string): string {
  let madeRoot = false;
  for (let tries = 0; ; tries++) {
    const dir = join(root, prefix + suffix());
    if (existsSync(dir) && tries < 100) continue;
    if (reuseSpare(root, dir)) return dir;
    try {
      mkdirSync(dir, 0o700);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && !madeRoot) {
        mkdirSync(root, { recursive: true });
        madeRoot = true;
        continue;
      }
      if (code === 'EEXIST' && tries < 100) continue;
      throw e;
    }
    writeFileSync(join(dir, OWNER_FILE), OWNER);
    return dir;
  }
}

/** Inputs up to this size are copied over a kept file in place ({@link copyOverSync}); larger ones by copy_file_range. */
const COPY_OVER_MAX = 1 << 20;

/**
 * Writes `data` over the file at `path` in place (made if missing): an identical content is left alone, a different
 * one is written from offset 0 and the tail cut off. Truncating a kept file to zero first (`writeFileSync`, O_TRUNC)
 * frees its block on ext4 and the write allocates one again: 0.14 ms against 0.012 ms per file on this VM, and more on
 * a busy disk. `mode`, if given, is set when the file's differs.
 */
export function overwriteSync(path: string, data: string | Buffer, mode?: number): void {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, mode ?? 0o666);
  try {
    const { size, mode: had } = fstatSync(fd);
    if (mode !== undefined && (had & 0o7777) !== mode) fchmodSync(fd, mode);
    if (size === buf.length) {
      const old = Buffer.allocUnsafe(size);
      if (readSync(fd, old, 0, size, 0) === size && old.equals(buf)) return;
    }
    writeSync(fd, buf, 0, buf.length, 0);
    if (size > buf.length) ftruncateSync(fd, buf.length);
  } finally {
    closeSync(fd);
  }
}

/** Copies the file `src` to `dest` over a kept file in place ({@link overwriteSync}), or by `copyFileSync` when large. */
export function copyOverSync(src: string, dest: string): void {
  const st = statSync(src);
  if (st.size > COPY_OVER_MAX) copyFileSync(src, dest);
  else overwriteSync(dest, readFileSync(src), st.mode & 0o7777);
}

/** Removals still under way, awaited by {@link scratchRemoved} before the wrapper exits. */
const removing = new Set<Promise<void>>();

/** Removes `dir` and whatever is in it in the background (recursive rm with retries). */
function dropDir(dir: string): void {
  const p = rm(dir, { recursive: true, force: true, maxRetries: 3 })
    .catch((e: unknown) => {
      process.stderr.write(`arrayflow: cannot remove the scratch dir ${dir}: ${(e as Error).message}\n`);
    })
    .finally(() => removing.delete(p));
  removing.add(p);
}

/**
 * Empties a scratch dir: one readdir, an unlink per file, a recursive rm only for subdirectories (staged input
 * dirs) — the task's files are gone when this returns, except the regular files named in `reusable`: files the
 * wrapper itself writes before every simulation starts (params.json, the stream files, copied input files), which the
 * next task overwrites in place instead of creating anew ({@link overwriteSync}). On ext4 every new inode is allocated past the inodes
 * freed in the last 60-300 s (`recently_deleted`): five files created and unlinked per task made that scan a fifth of an
 * element's CPU. The emptied dir (its owner file kept) becomes a spare that the next task's dir is renamed from;
 * {@link scratchRemoved} removes the spares before the wrapper exits. Anything unexpected (EBUSY, an unreadable dir,
 * a missing owner file) removes the dir with a recursive rm with retries in the background instead, so scratch is
 * always removed.
 */
export function removeScratch(dir: string, reusable: ReadonlySet<string> = new Set()): void {
  let owned = false;
  const kept = new Set<string>();
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.name === OWNER_FILE && e.isFile()) owned = true;
      else if (e.isFile() && reusable.has(e.name)) kept.add(e.name);
      else if (e.isDirectory()) rmSync(p, { recursive: true, force: true });
      else unlinkSync(p);
    }
  } catch {
    owned = false;
  }
  if (owned) spares.push({ dir, kept });
  else dropDir(dir);
}

/** Resolves when every scratch dir this process made is gone (the spares removed). */
export async function scratchRemoved(): Promise<void> {
  for (const spare of spares.splice(0)) dropDir(spare.dir);
  while (removing.size > 0) await Promise.all(removing);
}

/**
 * Removes scratch dirs of this ensemble under `root` left by wrappers on this host that no longer run.
 * SIGKILL (a scheduler's memory kill, the OOM killer) gives a wrapper no chance to clean up; the next
 * wrapper on the node does it. Returns the dirs removed.
 */
export async function sweepStaleScratch(root: string, ensembleName: string): Promise<string[]> {
  const prefix = `arrayflow-${ensembleName}-t`;
  const removed: string[] = [];
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(root, name);
    let owner: { host?: string; pid?: number };
    try {
      owner = JSON.parse(await readFile(join(dir, OWNER_FILE), 'utf8')) as typeof owner;
    } catch {
      continue; // being created right now, or not ours
    }
    if (owner.host !== HOST || typeof owner.pid !== 'number' || processAlive(owner.pid)) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}
