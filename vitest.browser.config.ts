import { defineConfig } from 'vitest/config';

// The example page in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core). Kept out of `npm test`; run with `npm run test:browser`. A missing
// Chromium fails the run (global-setup.ts) instead of skipping it.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    // One file at a time: each starts its own headless Chromium, and side by side they only
    // compete for the CPU. Nothing else is shared: the UDP ports are free ones taken per run.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
