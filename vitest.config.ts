import { defineConfig } from 'vitest/config';

// Unit tests, the device suite and the transcript replay. The browser suite has its own config.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
