// Epoch ms of the ISO-8601 UTC times records carry, read in place (hand-written: Date.parse is the slow part of collecting 10^6 of them, and cannot read inside a longer string).

const DAY_MS = 86_400_000;

/** Days from 1970-01-01 to year-month-day of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** The value of the `n` decimal digits at `s[i..i+n)`, or -1 when one is not a digit. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * `Date.parse(s.slice(from, to))` when that text is exactly `YYYY-MM-DDTHH:MM:SS.sssZ` (what
 * Date#toISOString writes) with a day of 1–28 and an hour of 0–23; NaN for any other text, which
 * the caller gives to Date.parse (month ends and hour 24 are left to it: it rolls them over).
 */
export function isoUtcMs(s: string, from: number, to: number): number {
  if (to - from !== 24 || s.charCodeAt(from + 23) !== 90 /* Z */) return NaN;
  if (s.charCodeAt(from + 4) !== 45 || s.charCodeAt(from + 7) !== 45 || s.charCodeAt(from + 10) !== 84 /* T */) return NaN;
  if (s.charCodeAt(from + 13) !== 58 || s.charCodeAt(from + 16) !== 58 || s.charCodeAt(from + 19) !== 46) return NaN;
  const y = digits(s, from, 4);
  const mo = digits(s, from + 5, 2);
  const d = digits(s, from + 8, 2);
  const h = digits(s, from + 11, 2);
  const mi = digits(s, from + 14, 2);
  const sec = digits(s, from + 17, 2);
  const ms = digits(s, from + 20, 3);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 28 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms < 0) return NaN;
  return daysFromCivil(y, mo, d) * DAY_MS + h * 3_600_000 + mi * 60_000 + sec * 1000 + ms;
}

/** Date.parse of `s`, through {@link isoUtcMs} when `s` is in its form (a hand-written record's start may be no string). */
export function parseIso(s: string): number {
  if (typeof s !== 'string') return Date.parse(s);
  const t = isoUtcMs(s, 0, s.length);
  return t === t ? t : Date.parse(s);
}
