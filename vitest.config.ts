import { defineConfig } from 'vitest/config';

/** Integration test files start PostgreSQL, an S3 server or pgproof/engine processes; everything else is a unit test. */
const INTEGRATION = 'test/**/*.int.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [INTEGRATION],
          // In-process only (CDK synth, mocks, pure logic): CPU-bound, so one worker per core.
          maxWorkers: 2,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [INTEGRATION],
          // One source cluster and one S3 server for the whole run; suites make their own databases and buckets.
          globalSetup: ['test/global-setup.ts'],
          // Each suite starts clusters and child processes of its own; two cores, so keep parallelism modest.
          maxWorkers: 2,
        },
      },
    ],
  },
});
