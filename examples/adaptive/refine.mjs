#!/usr/bin/env node
// The adaptive proposer: reads the dataset so far (CSV), and proposes the midpoints of the `count` intervals
// between neighbouring done x values where y changes fastest. Usage: refine.mjs <dataset.csv> <count>
// It prints one JSON object per line ({"x": 0.6171875}); arrayflow runs them and calls it again.
import { readFileSync } from 'node:fs';

const [csvPath, countArg] = process.argv.slice(2);
const count = Number(countArg);

/** RFC 4180 fields of one CSV text (quoted fields may hold commas, quotes and newlines). */
function parseCsv(text) {
  const rows = [[]];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') rows[rows.length - 1].push(field), (field = '');
    else if (c === '\n') rows[rows.length - 1].push(field), (field = ''), rows.push([]);
    else field += c;
  }
  if (field !== '' || rows[rows.length - 1].length > 0) rows[rows.length - 1].push(field);
  return rows.filter((r) => r.length > 1);
}

const [header, ...rows] = parseCsv(readFileSync(csvPath, 'utf8'));
const col = (name) => header.indexOf(name);
const points = rows
  .filter((r) => r[col('status')] === 'done')
  .map((r) => ({ x: Number(r[col('x')]), y: Number(r[col('y')]) }))
  .sort((a, b) => a.x - b.x);
const seen = new Set(points.map((p) => p.x));
const gaps = [];
for (let i = 1; i < points.length; i++) {
  const [a, b] = [points[i - 1], points[i]];
  const mid = (a.x + b.x) / 2;
  // how much y changes across the interval: where a finer look pays off
  if (!seen.has(mid)) gaps.push({ mid, change: Math.abs(b.y - a.y) });
}
gaps.sort((a, b) => b.change - a.change || a.mid - b.mid);
for (const g of gaps.slice(0, count)) process.stdout.write(JSON.stringify({ x: g.mid }) + '\n');
