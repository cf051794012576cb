import { defineConfig } from 'vitest/config';

// npm run test:faults: kill and restart an official emulator in the middle of calls
// (test/faults/, environment in test/faults/emulator.ts and DEVELOPERS.md). Kept out of
// `npm test`: it needs an emulator and restarts it. One file, tests in order.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    sequence: { concurrent: false },
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
