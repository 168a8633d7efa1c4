import { defineConfig } from 'vitest/config';

/** Integration test files start PostgreSQL, an S3 server or pgproof/engine processes; everything else is a unit test. */
const INTEGRATION = 'test/**/*.int.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Both projects share one pool of this size (vitest runs projects with equal maxWorkers together). More unit
    // workers would need a pool of their own, run before the integration one, and buy nothing on 2 cores: the unit
    // files are CPU-bound (CDK synth), the integration files start clusters and processes of their own.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [INTEGRATION],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [INTEGRATION],
          // One source cluster and one S3 server for the whole run; suites make their own databases and buckets.
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
