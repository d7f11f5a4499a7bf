// A task's scratch dir on the node: made with one mkdir, owned (for the sweep), removed without a recursive walk.
// Node-local scratch is a local filesystem: these are synchronous calls (microseconds each), where every
// fs/promises call costs a thread-pool round trip and an event-loop wake-up (≈ 0.3 ms each on a busy node).
import { mkdirSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
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
 * Makes `<root>/<prefix><6 random chars>` (mode 0700, like mkdtemp) and its owner file; the root is made
 * on first use (and again if it disappeared). One mkdir and one small write per task.
 */
export function makeScratch(root: string, prefix: string): string {
  let madeRoot = false;
  for (let tries = 0; ; tries++) {
    const dir = join(root, prefix + suffix());
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

/** Removals still under way (their directory entry), awaited by {@link scratchRemoved} before the wrapper exits. */
const removing = new Set<Promise<void>>();

/**
 * Removes a scratch dir: one readdir, an unlink per file, a recursive rm only for subdirectories (staged input
 * dirs) — the task's files are gone when this returns. The empty directory itself is removed in the background
 * (an rmdir can wait on the disk, ~1 ms on ext4 mounted with `discard`), overlapping the next task; the wrapper
 * awaits it before it exits ({@link scratchRemoved}). Anything unexpected (a file appearing meanwhile, EBUSY)
 * falls back to a recursive rm with retries, so scratch is always removed.
 */
export function removeScratch(dir: string): void {
  let emptied = true;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) rmSync(p, { recursive: true, force: true });
      else unlinkSync(p);
    }
  } catch {
    emptied = false;
  }
  const fallback = () => rm(dir, { recursive: true, force: true, maxRetries: 3 });
  const p = (emptied ? rmdir(dir).catch(fallback) : fallback())
    .catch((e: unknown) => {
      process.stderr.write(`arrayflow: cannot remove the scratch dir ${dir}: ${(e as Error).message}\n`);
    })
    .finally(() => removing.delete(p));
  removing.add(p);
}

/** Resolves when every scratch dir this process removed is gone. */
export async function scratchRemoved(): Promise<void> {
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
