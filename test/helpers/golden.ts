// Golden files: a rendered text compared with a file in test/fixtures; a missing file fails (UPDATE_GOLDEN=1 writes it instead).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { packageRoot } from '../../src/util/paths.js';

/** Compares `actual` with test/fixtures/<rel>; with UPDATE_GOLDEN=1 (re)writes the file first. */
export function golden(t: Test, rel: string, actual: string): void {
  const path = join(packageRoot, 'test', 'fixtures', rel);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  else if (!existsSync(path)) {
    t.fail(`golden file test/fixtures/${rel} is missing: run with UPDATE_GOLDEN=1 to write it, then read and commit it`);
    return;
  }
  t.equal(actual, readFileSync(path, 'utf8'), `rendered script matches ${rel}`);
}
