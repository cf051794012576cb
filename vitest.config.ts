import { defineConfig } from 'vitest/config';

// Unit tests, the device suite and the transcript replay: everything that needs nothing but
// `npm ci`. The browser suite (Chromium) and the interop suite (trezorctl) need system packages
// and have their own configs (vitest.browser.config.ts, vitest.interop.config.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'test/interop/**', 'test/faults/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
