import { defineConfig } from 'vitest/config';

// The Temporal core bridge is a native module: the `threads` pool crashes with it, `forks` does not.
// Unit tests need no server; only the integration project starts Temporal and PostgreSQL (global setup).
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
        },
      },
    ],
  },
});
