// Test gate and launcher for Debian's headless Chromium (scripts/chromium-up.sh installs it): skip locally, fail under CI.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { type GateTest, gate } from './slurm.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Gate for tests that need Chromium; call it first and return when it says false (CI=true: the test fails). */
export function requireChromium(t: GateTest): boolean {
  return gate(t, 'chromium', 'install it with: sudo bash scripts/chromium-up.sh', existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing`);
}

/** Debian's Chromium, headless, driven by playwright-core (which brings no browser of its own). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}
