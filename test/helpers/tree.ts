// Test helper: the sha256 of every file (and the target of every link) under a directory, to show a command wrote nothing there.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Relative path -> sha256 of the content (`link:<target>` for a symbolic link), every file under `root`. */
export function hashTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (e.isSymbolicLink()) out[relative(root, path)] = `link:${readlinkSync(path)}`;
    else if (e.isFile()) out[relative(root, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
  }
  return out;
}
