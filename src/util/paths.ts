// Where arrayflow itself lives: the package root, its version, and the CLI entry point compute nodes run.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** src/util/ and dist/util/ are both two levels below the package root. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

let version: string | undefined;
export function toolVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}

/**
 * Node's flags for the task wrappers arrayflow starts (local workers, array elements): a young generation of 2 MB
 * semi-spaces instead of V8's 16 MB. A wrapper's memory counts against its job's memory limit on the cluster, beside the
 * simulation's: an element of 2,000 tasks peaks at 69-72 MB instead of 92 MB, no slower (docs/performance.md).
 */
export const WRAPPER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** The compiled CLI that task wrappers run (tests run src/ through tsx, so always point at dist/). */
export function arrayflowBin(): string {
  return process.env.ARRAYFLOW_BIN ?? join(packageRoot, 'dist', 'cli', 'main.js');
}
