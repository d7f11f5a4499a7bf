// The program an argv runs, seen through a leading `env NAME=value…` (how an argv sets a variable for one command on any transport): for call counts and messages.

/** `argv[0]`, or for `env NAME=value… program …` the program env runs; `env` itself when nothing follows the assignments. */
export function programOf(argv: readonly string[]): string {
  if (argv[0] !== 'env') return argv[0];
  let i = 1;
  while (i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i])) i++;
  return argv[i] ?? 'env';
}
