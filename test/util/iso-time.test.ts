import t from 'tap';
import { isoUtcMs, parseIso } from '../../src/util/iso-time.js';

t.test('isoUtcMs reads what toISOString writes, as Date.parse does', async (t) => {
  let s = 7;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const min = Date.UTC(0, 0, 1) - 1900 * 365.2425 * 86_400_000; // about year 0000
  const max = Date.UTC(9999, 11, 31);
  let fast = 0;
  for (let i = 0; i < 20_000; i++) {
    const ms = Math.floor(min + next() * (max - min));
    const iso = new Date(ms).toISOString();
    const got = isoUtcMs(`ab${iso}cd`, 2, 2 + iso.length);
    if (Number.isNaN(got)) continue;
    fast++;
    if (got !== Date.parse(iso)) {
      t.fail(`${iso}: ${got} != ${Date.parse(iso)}`);
      return;
    }
  }
  t.ok(fast > 15_000, `${fast} read in place`);
  for (const iso of ['1970-01-01T00:00:00.000Z', '2000-02-28T23:59:59.999Z', '0000-01-01T00:00:00.000Z', '0050-03-01T12:00:00.000Z', '9999-12-28T00:00:00.000Z']) {
    t.equal(isoUtcMs(iso, 0, iso.length), Date.parse(iso), iso);
  }
});

t.test('other texts are left to Date.parse: parseIso agrees with it on every one', async (t) => {
  const odd = [
    '2024-02-29T00:00:00.000Z', // day 29-31: Date.parse rolls month ends over
    '2026-02-30T00:00:00.000Z',
    '2026-02-31T00:00:00.000Z',
    '2024-01-01T24:00:00.000Z',
    '2024-01-01T23:60:00.000Z',
    '2024-01-01T23:00:60.000Z',
    '2024-13-01T00:00:00.000Z',
    '2024-00-01T00:00:00.000Z',
    '2024-01-00T00:00:00.000Z',
    '2024-01-01T00:00:00.000',
    '2024-01-01T00:00:00Z',
    '2024-01-01T00:00:00.000+01:00',
    '2024-01-01 00:00:00.000Z',
    '2024-01-01T00:00:00.0000',
    '+02024-01-01T00:00:00.000Z',
    '2024-0a-01T00:00:00.000Z',
    '2024-01-01',
    'not a date',
    '',
  ];
  for (const s of odd) {
    t.ok(Number.isNaN(isoUtcMs(s, 0, s.length)), `not in place: ${s}`);
    t.same(parseIso(s), Date.parse(s), s);
  }
  t.same(parseIso(undefined as unknown as string), NaN, 'no string: NaN, as Date.parse(undefined)');
  t.same(parseIso(12 as unknown as string), Date.parse(12 as unknown as string));
});
