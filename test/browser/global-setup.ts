/**
 * Build the example page once for all browser test files (scripts/start.ts → rollup).
 * Skipped, like the tests, when Debian's Chromium is not installed.
 */
import { existsSync } from 'node:fs';
import { buildExample } from '../../scripts/start.js';
import { CHROMIUM_PATH } from './chromium.js';

export default async function setup(): Promise<void> {
  if (!existsSync(CHROMIUM_PATH)) return;
  await buildExample();
}
