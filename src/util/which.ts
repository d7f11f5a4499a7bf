// Whether a command is on this process's PATH (an executable file in one of its directories), without running it.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Every path of `command` on `PATH`, in PATH order: executable files only. */
export function* whichAll(command: string, path: string = process.env.PATH ?? ''): Generator<string> {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      if (!statSync(candidate).isFile()) continue;
    } catch {
      continue; // not here
    }
    yield candidate;
  }
}

/** The path of `command` on `PATH` (as a shell would find it), or null. */
export function which(command: string, path?: string): string | null {
  for (const candidate of whichAll(command, path)) return candidate;
  return null;
}
