// `npm run test:faults`: the fault suite alone (faults.test.ts), apart from
// `npm test`'s run because it takes minutes and kills processes on a clock:
// beside a hundred other test files its moments would be everyone's load.
// Same harness as the main run (the wire stand-in from the global setup; the
// suite starts its own Kafka broker, which it restarts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../../..', import.meta.url)),
  test: {
    include: ['test/e2e/faults/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    globalSetup: ['./test/harness/global-setup.ts'],
    reporters: ['default', './test/harness/skip-summary-reporter.ts'],
  },
});
