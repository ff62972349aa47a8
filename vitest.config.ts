import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['services/**/*.test.ts', 'contracts/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    // The fault suite runs on its own: `npm run test:faults` (test/e2e/faults/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/e2e/faults/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test servers (Kafka, MongoDB) are found or started once per run; see test/harness/index.ts.
    globalSetup: ['./test/harness/global-setup.ts'],
    // The default output, then one summary of skipped tests per reason.
    reporters: ['default', './test/harness/skip-summary-reporter.ts'],
  },
});
