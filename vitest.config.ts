import { defineConfig } from 'vitest/config';

// The Temporal core bridge is a native module: the `threads` pool crashes with it, `forks` does not.
// Unit tests need no server; the integration project starts a Temporal dev server and PostgreSQL (global setup);
// the cluster project (`npm run test:cluster`, not part of `npm test`, which names its two projects) starts the
// Temporal server itself on PostgreSQL with mTLS required (scripts/cluster/).
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
          // The build first: CLI and `npm start` subprocesses run the compiled code in dist/ (test/setup/build.ts).
          globalSetup: ['test/setup/build.ts', 'test/setup/global-setup.ts'],
          // A fixed keyring for the whole run, so every integration test (in-process workers and clients, and the
          // CLI subprocesses, which inherit process.env) goes through the encrypting payload codec.
          env: { CONFIG_BACKUP_KEY: 'sentinel-test:iLsg2JID7IC/fj3qW5V2VKx2HqRkc13w5Yzz3MlC6zk=' },
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          globalSetup: ['test/setup/cluster-setup.ts'],
          // The files share one server, and one of them SIGKILLs it: they run one after another.
          fileParallelism: false,
          maxWorkers: 1,
          testTimeout: 600_000,
          env: { CONFIG_BACKUP_KEY: 'sentinel-test:iLsg2JID7IC/fj3qW5V2VKx2HqRkc13w5Yzz3MlC6zk=' },
        },
      },
    ],
  },
});
