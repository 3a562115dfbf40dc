import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import { cachedConfigLoader } from '../../lib/config-file.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import { createSentinelWorker } from '../../workers/create-worker.js';
import { silentLogger, type Harness, type RunningWorker } from './harness.js';

/**
 * A database of its own for the failure-model tests, on the same server as the run's database. An active model
 * changes every prediction, so it must not leak into the other test files' shared database (they expect the rules).
 */
export interface IsolatedDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createIsolatedDatabase(suffix: string): Promise<IsolatedDatabase> {
  const base = new URL(inject('databaseUrl'));
  const name = `${base.pathname.slice(1)}_${suffix}`.slice(0, 63);
  const admin = new pg.Client({ connectionString: base.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base.toString());
  url.pathname = `/${name}`;
  await migrate(url.toString());
  const pool = createPool(url.toString(), 6);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: base.toString() });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await cleanup.end();
    },
  };
}

/** Like `h.startWorker()`, but with activities bound to the isolated database. */
export async function startWorkerOn(h: Harness, pool: pg.Pool): Promise<RunningWorker & { connection: NativeConnection }> {
  const connection = await NativeConnection.connect({ address: h.temporalAddress });
  const worker = await createSentinelWorker({
    connection,
    namespace: 'default',
    taskQueue: h.taskQueue,
    workflowBundlePath: inject('workflowBundlePath'),
    deps: { db: pool, loadConfig: cachedConfigLoader(h.configPath), backupDir: h.backupDir, log: silentLogger },
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
