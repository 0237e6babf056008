import { defineConfig } from 'vitest/config';

// The console in headless chromium (test/browser). Run after the other tests by `npm test`, alone,
// so a browser does not compete for the CPU with the crash and fuzz tests' time budgets.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/browser/build-console.ts'],
    testTimeout: 180000,
    hookTimeout: 180000,
    fileParallelism: false,
    pool: 'forks',
  },
});
