#!/usr/bin/env node
// The last stage of examples/stages: how many infections the intervention averted, from the upstream values
// arrayflow put in params.json (`epidemic.attack_rate`, `intervention.attack_rate`, ...).
import { readFileSync, writeFileSync } from 'node:fs';

const p = JSON.parse(readFileSync('params.json', 'utf8'));
const population = p['epidemic.population'];
const averted = (p['epidemic.attack_rate'] - p['intervention.attack_rate']) * population;
writeFileSync('result.json', JSON.stringify({ averted, averted_share: averted / (p['epidemic.attack_rate'] * population) }) + '\n');
