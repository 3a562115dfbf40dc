import { NativeConnection } from '@temporalio/worker';
import type pg from 'pg';
import { inject } from 'vitest';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { createSentinelWorker } from '../../workers/create-worker.js';
import { silentLogger, type Harness, type RunningWorker } from './harness.js';
import { configBackupSourceFromEnv } from '../../capabilities/config-backup/services.js';

// The failure-model tests need a database of their own (an active model changes every prediction); every test file
// has one now (test-database.ts), re-exported here for the files that import it from this module.
export { createIsolatedDatabase, type IsolatedDatabase } from './test-database.js';

/** Like `h.startWorker()`, but with activities bound to the isolated database. */
export async function startWorkerOn(h: Harness, pool: pg.Pool): Promise<RunningWorker & { connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: h.temporalAddress });
  const worker = await createSentinelWorker({
    connection,
    namespace: 'default',
    taskQueue: h.taskQueue,
    workflowBundlePath: inject('workflowBundlePath'),
    deps: { db: pool, loadSettings: cachedSettingsLoader(h.configPath), backupDir: h.backupDir, configBackup: configBackupSourceFromEnv(), log: silentLogger },
    overrides: { shutdownGraceTime: '2s', identity: `${h.taskQueue}-model-worker` },
  });
  const running = worker.run();
  return {
    worker,
    running,
    connection,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
