import { defineConfig } from 'vitest/config';

// One runner for every layer. Tests that need a service (PostgreSQL, Orthanc, S3, Azurite,
// Chromium) start it themselves from tests/support on a free loopback port.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    environment: 'node',
    pool: 'forks',
    // Two cores: two test files at a time; service-heavy files would only fight each other beyond that.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default', './tests/support/summary-reporter.ts'],
    globalSetup: ['./tests/support/global-setup.ts'],
  },
});
