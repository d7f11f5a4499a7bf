// Sends files to the cluster only when they differ (size, then SHA-256), each under a temporary name renamed into place so a job never reads half a file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { TransportError } from '../errors.js';
import type { SshTransport } from '../transport/ssh.js';
import type { Transport } from '../transport/transport.js';

/** What the cluster side needs of a connection: commands plus SFTP file calls (SshTransport has them all). */
export type RemoteHost = Transport & Pick<SshTransport, 'putFile' | 'readFile' | 'createExclusive' | 'stat' | 'listDir' | 'mkdirp'>;

/** One file to make present on the cluster. */
export interface UploadItem {
  local: string;
  /** Absolute path on the cluster. */
  remote: string;
}

export interface UploadResult {
  /** Files copied (missing or different on the cluster). */
  sent: number;
  /** Files already there with the same content. */
  kept: number;
  bytes: number;
}

/** Suffix of a file being uploaded, renamed to its real name once complete. */
export const PART_SUFFIX = '.af-upload';
/** Paths per sha256sum / rename call: far below ARG_MAX even for long paths. */
const BATCH = 100;
// Renames pairs "part final" given as arguments; a pair whose part is gone was renamed by an earlier run of the same call.
const RENAME_SCRIPT = 'while [ $# -gt 1 ]; do if [ -e "$1" ]; then mv -f -- "$1" "$2" || exit 1; fi; shift 2; done';

/** Runs `fn` over `items`, at most `width` at once; results in item order. */
export async function pool<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** `sha256sum` lines -> path -> hex digest. Escaped names (a leading backslash) are left out: they are re-sent. */
export function parseSha256sum(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m) out.set(m[2], m[1]);
  }
  return out;
}

/** SHA-256 of cluster files in a few sha256sum calls; files it cannot hash are simply missing from the map. */
async function remoteHashes(host: RemoteHost, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < paths.length; i += BATCH) {
    const r = await host.run(['sha256sum', '--', ...paths.slice(i, i + BATCH)], { idempotent: true, timeoutMs: 600_000 });
    for (const [p, h] of parseSha256sum(r.stdout)) out.set(p, h);
  }
  return out;
}

async function runChecked(host: RemoteHost, argv: string[], what: string): Promise<void> {
  const r = await host.run(argv, { idempotent: true, timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new TransportError(`${what} on the cluster failed (exit ${r.exitCode}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
}

/**
 * Makes every item present on the cluster with the local content. A file whose size and SHA-256 already
 * match is not sent again (a resume re-uses the cluster copy); others go to `<name>.af-upload` and are
 * renamed into place together, after all of them arrived.
 */
export async function uploadChanged(host: RemoteHost, items: UploadItem[]): Promise<UploadResult> {
  const sizes = await Promise.all(
    items.map((it) =>
      stat(it.local).then(
        (s) => s.size,
        (e: unknown) => {
          throw new TransportError(`cannot read ${it.local} to send it to the cluster: ${(e as Error).message}`, { cause: e });
        },
      ),
    ),
  );
  const there = await pool(items, 16, (it) => host.stat(it.remote));
  const sameSize = items.filter((it, i) => there[i]?.isFile === true && there[i]!.size === sizes[i]);
  const hashes = await remoteHashes(host, sameSize.map((it) => it.remote));
  const kept = new Set<UploadItem>();
  await pool(sameSize, 8, async (it) => {
    const h = hashes.get(it.remote);
    if (h !== undefined && h === (await sha256File(it.local))) kept.add(it);
  });
  const send = items.filter((it) => !kept.has(it));
  let bytes = 0;
  if (send.length > 0) {
    const dirs = [...new Set(send.map((it) => posix.dirname(it.remote)))].sort();
    for (let i = 0; i < dirs.length; i += BATCH) await runChecked(host, ['mkdir', '-p', '--', ...dirs.slice(i, i + BATCH)], 'mkdir -p');
    await pool(send, 4, (it) => host.putFile(it.local, it.remote + PART_SUFFIX));
    for (let i = 0; i < send.length; i += BATCH) {
      const pairs = send.slice(i, i + BATCH).flatMap((it) => [it.remote + PART_SUFFIX, it.remote]);
      await runChecked(host, ['sh', '-c', RENAME_SCRIPT, 'sh', ...pairs], 'renaming the uploaded files into place');
    }
    const sizeOf = new Map(items.map((it, i) => [it, sizes[i]]));
    for (const it of send) bytes += sizeOf.get(it) ?? 0;
  }
  return { sent: send.length, kept: kept.size, bytes };
}
