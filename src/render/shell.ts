// Shell quoting: the one escaping layer of rendered scripts; every value becomes exactly one shell word.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes `value` as one POSIX shell word (bare when it holds only safe characters, like Python's shlex.quote). */
export function shellQuote(value: unknown): string {
  const s = String(value);
  if (s.includes('\0')) throw new Error('a NUL byte cannot appear in a shell script');
  if (s !== '' && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
