import { defineConfig } from 'vitest/config';

// The example page in real headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core). Kept out of `npm test`; run with `npm run test:browser`.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    // One browser at a time: the files share the built page and fixed UDP ports.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
