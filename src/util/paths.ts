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

/** The compiled CLI that task wrappers run (tests run src/ through tsx, so always point at dist/). */
export function arrayflowBin(): string {
  return process.env.ARRAYFLOW_BIN ?? join(packageRoot, 'dist', 'cli', 'main.js');
}
