// Glob patterns for the keep policy and `collect --pattern`, on picomatch; a dotfile or dot dir matches only where the pattern spells its dot (as in the shell), so `*` and `**` skip .git, .cache and the like.
import picomatch from 'picomatch/posix.js';

// posix: `[!a]` negates like `[^a]` (without it picomatch 4.0.7 reads `!` as a class member, micromatch/picomatch#187).
// nonegate: a leading `!` is a literal, not "every path but": a keep list is a union of patterns.
// nobrace, noextglob: `{a,b}`, `@(x)`, `+(x)` stay literal, because import.ts reads a segment without `*?[` as a plain name.
// keepQuotes: a `"` in a pattern matches a `"` in a file name (picomatch would drop it).
const OPTIONS: picomatch.PicomatchOptions = { posix: true, nonegate: true, nobrace: true, noextglob: true, keepQuotes: true };

/**
 * Compiles a glob (`*`, `?`, `[..]`, `[!..]`, `**`) matched against '/'-separated relative paths.
 * A pattern without '/' matches the file name at any depth, like .gitignore. Dotfiles and dot
 * directories match only a segment that starts with `.` in the pattern (`.*`, `.cache/**`).
 * Every other character is literal.
 */
export function globToRegExp(glob: string): RegExp {
  // picomatch has no option that makes ( | ) literal (it emits them as a regexp group): escape them.
  const escaped = glob.replace(/(?<!\\)[()|]/g, '\\$&');
  return picomatch.makeRe(escaped.includes('/') ? escaped : `**/${escaped}`, OPTIONS);
}
