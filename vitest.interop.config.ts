import { defineConfig } from 'vitest/config';

// Cross-checks with clients nobody here wrote, which need system packages: Debian's trezorctl
// (package `trezor`). Kept out of `npm test`; run with `npm run test:interop` (.ci/run installs
// the package first). A missing client fails the run instead of skipping it.
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
