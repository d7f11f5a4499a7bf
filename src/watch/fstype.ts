// Filesystem type of a path (from /proc/mounts) and the watch mode it calls for: inotify where it works, polling on network/cluster filesystems.
import { readFile, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** One line of /proc/mounts. */
export interface MountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string;
}

/** How changes are noticed: kernel events (inotify/FSEvents) or periodic stat. */
export type WatchMode = 'inotify' | 'poll';

/** Default polling interval (ms) where inotify cannot see other hosts' writes; `ARRAYFLOW_POLL_MS` overrides it. */
export const DEFAULT_POLL_MS = 1000;

/**
 * Filesystems whose writes made on another host raise no inotify event here: network and cluster
 * filesystems (the client only learns of them by asking the server), FUSE (events depend on the
 * daemon), and a few virtual ones. Watching them needs polling.
 */
const POLLED = new Set([
  'nfs',
  'nfs4',
  'lustre',
  'gpfs',
  'beegfs',
  'cifs',
  'smb3',
  'smbfs',
  'ceph',
  'cephfs',
  'panfs',
  '9p',
  'afs',
  'glusterfs',
  'ocfs2',
  'gfs2',
  'pvfs2',
  'orangefs',
  'wekafs',
  'virtiofs',
  'vboxsf',
  'davfs',
  'sshfs',
  'ncpfs',
  'coda',
  'quobyte',
]);

/** true for filesystems where inotify misses writes made on other hosts (NFS, Lustre, GPFS, FUSE, ...). */
export function needsPolling(fsType: string): boolean {
  const t = fsType.toLowerCase();
  return POLLED.has(t) || t === 'fuse' || t.startsWith('fuse.') || t === 'fuseblk';
}

/** The kernel writes space, tab, newline and backslash in mount fields as octal escapes (\040 ...). */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses the text of /proc/mounts (or /etc/mtab); malformed lines are skipped. */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0].startsWith('#')) continue;
    out.push({ device: unescapeMountField(f[0]), mountPoint: unescapeMountField(f[1]), fsType: f[2], options: f[3] ?? '' });
  }
  return out;
}

function within(path: string, mountPoint: string): boolean {
  if (mountPoint === '/') return path.startsWith('/');
  return path === mountPoint || path.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`);
}

/**
 * The mount holding absolute path `path`: the longest mount point that is a whole-component prefix of
 * it; among equal mount points the last listed (a later mount hides an earlier one at the same place).
 */
export function findMount(mounts: MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!within(path, m.mountPoint)) continue;
    if (best === undefined || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  return best;
}

/** The nearest existing ancestor of `path` (itself if it exists), with symlinks resolved. */
async function existingReal(path: string): Promise<string> {
  let p = resolve(path);
  for (;;) {
    try {
      return await realpath(p);
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}

/** The filesystem type of `path` (or of its nearest existing ancestor); null where /proc/mounts is unavailable (macOS). */
export async function readFsType(path: string, mountsFile = '/proc/mounts'): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(mountsFile, 'utf8');
  } catch {
    return null;
  }
  return findMount(parseMounts(text), await existingReal(path))?.fsType ?? null;
}

export interface WatchOptions {
  /** Force a mode; default: `ARRAYFLOW_WATCH` (poll | inotify), else by filesystem type. */
  mode?: WatchMode | 'auto';
  /** Polling interval in ms; default: `ARRAYFLOW_POLL_MS`, else {@link DEFAULT_POLL_MS}. */
  pollMs?: number;
  /** For tests: a recorded mounts file instead of /proc/mounts. */
  mountsFile?: string;
  env?: NodeJS.ProcessEnv;
}

/** The watch mode chosen for a path, and why (for logs and progress lines). */
export interface WatchPlan {
  mode: WatchMode;
  /** Polling interval (ms); also used as the safety re-scan period in inotify mode. */
  pollMs: number;
  fsType: string | null;
  reason: string;
}

/** `ARRAYFLOW_POLL_MS` if it is a positive number, else the default. */
export function pollIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.ARRAYFLOW_POLL_MS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_POLL_MS;
}

/** Pure part of {@link planWatch}: option, then environment, then filesystem type. */
export function chooseWatchMode(fsType: string | null, opts: Pick<WatchOptions, 'mode' | 'pollMs' | 'env'> = {}): WatchPlan {
  const env = opts.env ?? process.env;
  const pollMs = opts.pollMs ?? pollIntervalMs(env);
  if (opts.mode === 'poll' || opts.mode === 'inotify') return { mode: opts.mode, pollMs, fsType, reason: 'forced by the caller' };
  const fromEnv = env.ARRAYFLOW_WATCH?.trim().toLowerCase();
  if (fromEnv === 'poll' || fromEnv === 'inotify') return { mode: fromEnv, pollMs, fsType, reason: `ARRAYFLOW_WATCH=${fromEnv}` };
  if (fsType !== null && needsPolling(fsType)) {
    return { mode: 'poll', pollMs, fsType, reason: `${fsType}: writes from other hosts raise no inotify events here` };
  }
  return { mode: 'inotify', pollMs, fsType, reason: fsType === null ? 'filesystem type unknown' : `${fsType} delivers change events` };
}

/** How to watch `path`: polling on NFS/Lustre/GPFS/FUSE..., inotify elsewhere, unless forced. */
export async function planWatch(path: string, opts: WatchOptions = {}): Promise<WatchPlan> {
  return chooseWatchMode(await readFsType(path, opts.mountsFile), opts);
}
