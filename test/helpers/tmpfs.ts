// A small size-limited filesystem made by a test (tmpfs; we run as root), for full and read-only ensemble directories.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { gate, type GateTest } from './slurm.js';

/** The part of a tap Test these helpers use. */
interface MountTest extends GateTest {
  teardown(fn: () => unknown): void;
}

/**
 * A tmpfs of `size` (mount's syntax: 256k, 2m) mounted on a new temp directory (not a testdir: tap would remove that
 * before this teardown unmounts it), unmounted and removed in teardown. Null when it cannot be mounted (not root, no
 * mount(8)): the test is skipped, or fails under CI=true.
 */
export async function mountTmpfs(t: MountTest, size: string): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), 'arrayflow-tmpfs-'));
  const r = await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { reject: false });
  t.teardown(async () => {
    if (r.exitCode === 0) await execa('umount', ['-l', dir], { reject: false });
    rmSync(dir, { recursive: true, force: true });
  });
  const problem = r.exitCode === 0 ? null : `mount -t tmpfs: ${String(r.stderr || r.message).trim().split('\n')[0]}`;
  return gate(t, 'a mountable tmpfs', 'run the tests as root (mount -t tmpfs)', problem) ? dir : null;
}

/** Remounts the tmpfs at `dir` read-only (`ro: true`) or read-write. */
export async function remount(dir: string, ro: boolean): Promise<void> {
  await execa('mount', ['-o', `remount,${ro ? 'ro' : 'rw'}`, dir]);
}

/**
 * Fills the filesystem of `dir` up to the last byte with the file `name`: big writes, then smaller ones until a 1-byte
 * write is refused (ENOSPC). Removing the file frees the room again.
 */
export function fillUp(dir: string, name = 'filler'): string {
  const path = join(dir, name);
  const fd = openSync(path, 'a');
  try {
    for (let size = 1 << 20; size >= 1; ) {
      try {
        if (writeSync(fd, Buffer.alloc(size)) < size) size >>= 1;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
        size >>= 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
