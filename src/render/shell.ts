// Shell quoting: the one escaping layer of rendered scripts; every value becomes exactly one shell word.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * A line of the user's own shell (executor.setup), written into a script as it is: the one value the quoting layer
 * passes through. It must be one line: a line break, carriage return or NUL is refused.
 */
export class ShellLine {
  constructor(readonly text: string) {
    if (/[\n\r\0]/.test(text)) throw new Error(`a setup line must be one line without NUL: ${JSON.stringify(text)}`);
  }
}

/** The escape of rendered scripts: a ShellLine as it is, every other value shell-quoted. */
export function scriptValue(value: unknown): string {
  return value instanceof ShellLine ? value.text : shellQuote(value);
}

/** Quotes `value` as one POSIX shell word (bare when it holds only safe characters, like Python's shlex.quote). */
export function shellQuote(value: unknown): string {
  const s = String(value);
  if (s.includes('\0')) throw new Error('a NUL byte cannot appear in a shell script');
  if (s !== '' && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
