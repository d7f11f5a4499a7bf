// "Did you mean …?" suggestions for mistyped keys, enum values and placeholder names.

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), so 'lsh' is 1 from 'lhs'. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The candidate closest to `word` within edit distance 2, if any (ties: first listed). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    // a distance as long as the candidate means nothing in common ('x' vs 'qos')
    if (d < bestD && d < c.length) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** `; did you mean 'x'?` or the empty string. */
export function didYouMean(word: string, candidates: readonly string[], wrap = (s: string) => `'${s}'`): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : `; did you mean ${wrap(c)}?`;
}
