import { defineConfig } from 'vitest/config';

/**
 * Files that judge delivery timing under load (the receiver mix, endpoint
 * isolation): they run after everything else, one at a time, so another
 * test file sharing the two cores cannot be what they measure.
 */
const RUN_ALONE = ['test/receiver-mix.test.ts', 'test/isolation.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          globalSetup: ['test/global-setup.ts'],
          include: ['apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: RUN_ALONE,
          // Two cores: two test files at a time, each against its own database and queue prefix.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          globalSetup: ['test/global-setup.ts'],
          include: RUN_ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
