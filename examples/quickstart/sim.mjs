#!/usr/bin/env node
// A small stochastic SIR epidemic model: the quick start's "simulation".
// Usage: node sim.mjs --beta B --gamma G --population N --seed S [--reduction F]   (writes result.json in the cwd)
// --reduction: an intervention cutting transmission by the fraction F (examples/stages).
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) throw new Error(`missing --${name}`);
  return args[i + 1];
};
const reduction = args.includes('--reduction') ? Number(opt('reduction')) : 0;
const beta = Number(opt('beta')) * (1 - reduction);
const gamma = Number(opt('gamma'));
const population = Number(opt('population'));
let seed = Number(opt('seed')) >>> 0;
if (![beta, gamma, population, reduction].every(Number.isFinite)) throw new Error('non-numeric parameter');

// mulberry32: a tiny seeded PRNG, so a run is reproducible from its seed
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const binomial = (n, p) => {
  if (n < 50) { let k = 0; for (let i = 0; i < n; i++) if (rand() < p) k++; return k; }
  const mean = n * p, sd = Math.sqrt(n * p * (1 - p));
  const z = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  return Math.min(n, Math.max(0, Math.round(mean + sd * z)));
};

let s = population - 10, i = 10, r = 0, peak = i, peakDay = 0, day = 0;
while (i > 0 && day < 365) {
  day++;
  const infections = binomial(s, 1 - Math.exp(-beta * i / population));
  const recoveries = binomial(i, 1 - Math.exp(-gamma));
  s -= infections; i += infections - recoveries; r += recoveries;
  if (i > peak) { peak = i; peakDay = day; }
}
writeFileSync('result.json', JSON.stringify({
  r0: beta / gamma,
  peak_infected: peak,
  peak_day: peakDay,
  attack_rate: (population - s) / population,
  duration_days: day,
}) + '\n');
