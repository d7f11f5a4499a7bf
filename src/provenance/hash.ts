// sha256 of the files an ensemble stages: a file's bytes streamed through node:crypto; a directory's as the hash of its sha256sum listing (no library hashes a tree the way `sha256sum` users can check by hand).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** What identifies one staged file or directory. */
export interface ContentHash {
  sha256: string;
  /** Bytes hashed (a directory: the sum over its files). */
  bytes: number;
  /** A directory: how many files its hash covers. */
  files?: number;
}

/** sha256 of a file's bytes, read as a stream (a 10 GB mesh is never in memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The files below `dir` (symlinks followed to files; symlinked directories are not entered), as '/'-separated relative paths in byte order. */
async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const e of entries) {
    const abs = join(e.parentPath, e.name);
    const isFile = e.isFile() || (e.isSymbolicLink() && (await stat(abs).catch(() => null))?.isFile() === true);
    if (isFile) files.push(relative(dir, abs).split(sep).join('/'));
  }
  // byte order, as `LC_ALL=C sort` orders them
  return files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/**
 * The hash of a staged directory: sha256 of the lines `<sha256>  <relative path>\n` of its files in byte order of
 * their paths, which is what
 * `cd DIR && find . \( -type f -o -xtype f \) -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum` prints.
 */
export async function hashDirectory(path: string): Promise<ContentHash> {
  const listing = createHash('sha256');
  let bytes = 0;
  const files = await filesBelow(path);
  for (const rel of files) {
    const abs = join(path, rel);
    listing.update(`${await sha256File(abs)}  ${rel}\n`);
    bytes += (await stat(abs)).size;
  }
  return { sha256: listing.digest('hex'), bytes, files: files.length };
}
