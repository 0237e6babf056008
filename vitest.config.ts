import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/api/**/*.test.ts', 'test/browser/**/*.test.ts'],
    // The console is built once before any test: the browser tests load it, GET /ui serves it.
    globalSetup: ['test/browser/build-console.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
    pool: 'forks',
  },
});
