import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration suites start PostgreSQL clusters and S3 servers; two cores, so keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
    // The AWS SDK warns on Node 20 about its future Node 22 requirement; that noise hides real output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
