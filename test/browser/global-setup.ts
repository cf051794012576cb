/**
 * Build the example page once for all browser test files (scripts/start.ts → rollup). Fails
 * the run at once, saying what to install, when Debian's Chromium is missing.
 */
import { buildExample } from '../../scripts/start.js';
import { requireChromium } from './chromium.js';

export default async function setup(): Promise<void> {
  requireChromium();
  await buildExample();
}
