import { defineConfig } from 'vitest/config';

/** End-to-end tests against the real GlusterFS lab (scripts/lab); run through `npm run test:e2e`. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // One lab, shared by every file: never run two files at once.
    fileParallelism: false,
  },
});
