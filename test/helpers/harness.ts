import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type pg from 'pg';
import { pino, type Logger } from 'pino';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { createIsolatedDatabase } from './test-database.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { createSentinelWorker } from '../../workers/create-worker.js';
import { configBackupSourceFromEnv } from '../../capabilities/config-backup/services.js';

/** Everything an integration test needs: the shared dev server and database, plus its own task queue and files. */
export interface Harness {
  client: Client;
  connection: Connection;
  pool: pg.Pool;
  taskQueue: string;
  dir: string;
  configPath: string;
  backupDir: string;
  databaseUrl: string;
  temporalAddress: string;
  writeConfig(config: unknown): Promise<void>;
  /** What an operator's shell would set for the `sentinel` CLI to reach this harness's server, database and worker. */
  cliEnv(): Record<string, string>;
  /** `db` / `embeddedDatabaseUrl`: a worker whose own database is another one (e.g. an embedded PGlite). */
  startWorker(options?: {
    alertWebhookUrl?: string;
    log?: Logger;
    db?: pg.Pool;
    embeddedDatabaseUrl?: string;
    webUi?: { url: string; namespace: string };
    drillDatabaseUrl?: string;
  }): Promise<RunningWorker>;
  close(): Promise<void>;
}

export interface RunningWorker {
  worker: Worker;
  running: Promise<void>;
  stop(): Promise<void>;
}

export const silentLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function createHarness(name: string): Promise<Harness> {
  const temporalAddress = inject('temporalAddress');
  // Each test file gets its own database, cloned from the run's migrated one: no file sees another's rows.
  const database = await createIsolatedDatabase(name);
  const { url: databaseUrl, pool } = database;
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, dataConverter: sentinelDataConverter() });
  const dir = await mkdtemp(path.join(os.tmpdir(), `sentinel-${name}-`));
  const configPath = path.join(dir, 'sentinel.yaml');
  const backupDir = path.join(dir, 'backups');
  const taskQueue = `test-${name}-${randomUUID().slice(0, 8)}`;
  const workers: RunningWorker[] = [];
  const nativeConnections: NativeConnection[] = [];

  return {
    client,
    connection,
    pool,
    taskQueue,
    dir,
    configPath,
    backupDir,
    databaseUrl,
    temporalAddress,
    async writeConfig(config) {
      await writeFile(configPath, stringify(config));
    },
    cliEnv: () => ({
      TEMPORAL_ADDRESS: temporalAddress,
      DATABASE_URL: databaseUrl,
      SENTINEL_CONFIG: configPath,
      SENTINEL_TASK_QUEUE: taskQueue,
      SENTINEL_DATA_DIR: dir,
    }),
    async startWorker(options = {}) {
      const native = await NativeConnection.connect({ address: temporalAddress });
      nativeConnections.push(native);
      const worker = await createSentinelWorker({
        connection: native,
        namespace: 'default',
        taskQueue,
        workflowBundlePath: inject('workflowBundlePath'),
        deps: {
          db: options.db ?? pool,
          loadSettings: cachedSettingsLoader(configPath),
          backupDir,
          configBackup: configBackupSourceFromEnv(),
          alertWebhookUrl: options.alertWebhookUrl,
          webUi: options.webUi,
          log: options.log ?? silentLogger,
          embeddedDatabaseUrl: options.embeddedDatabaseUrl,
          drillDatabaseUrl: options.drillDatabaseUrl,
        },
        overrides: { shutdownGraceTime: '2s', identity: `${taskQueue}-worker-${workers.length + 1}` },
      });
      const running = worker.run();
      const handle: RunningWorker = {
        worker,
        running,
        async stop() {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await running.catch(() => undefined);
        },
      };
      workers.push(handle);
      return handle;
    },
    async close() {
      for (const w of workers) await w.stop();
      for (const c of nativeConnections) await c.close().catch(() => undefined);
      await connection.close();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
