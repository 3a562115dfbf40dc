// Everything the history recorder runs against, all of it its own and thrown away afterwards: a headless Temporal
// dev server, two scratch PostgreSQL databases (the failure model gets its own, so an active model cannot change
// the other scenarios' predictions), a temp dir with sentinel.yaml, dumps and the config-backup store, and workers
// with the real activities.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type pg from 'pg';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { createPool } from '../../db/pool.js';
import { createScratchDatabase, type ScratchDatabase } from '../../db/scratch-database.js';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { startDevServer, type DevServer } from '../../platform/dev-server.js';
import { installTemporalRuntime } from '../../platform/temporal-runtime.js';
import { quietBundlerLogger } from '../../platform/quiet-bundler-logger.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { createSentinelWorker } from '../../workers/create-worker.js';
import { writeWorkflowBundle } from '../../workers/workflow-bundle.js';
import { configBackupSourceFromEnv } from '../../capabilities/config-backup/services.js';

export const RECORDER_IDENTITY = 'history-recorder';
export const TASK_QUEUE = 'history-recorder';
export const MODELS_TASK_QUEUE = 'history-recorder-models';
/** Where the `kind: workflow` target's child runs: a team's own worker, not Sentinel's. */
export const THEIR_TASK_QUEUE = 'history-recorder-theirs';
const CUSTOM_BACKUP_WORKFLOWS = fileURLToPath(new URL('../../test/fixtures/custom-backup-workflows.ts', import.meta.url));
const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

export interface RecordingStack {
  client: Client;
  pool: pg.Pool;
  modelsPool: pg.Pool;
  /** The scratch database's URL: the `postgres` target dumps it (its password must never reach a history). */
  databaseUrl: string;
  dir: string;
  configPath: string;
  /** Files the config-backup scenarios back up. */
  etcDir: string;
  writeConfig(config: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Sets the worker's config-backup environment (CONFIG_*), read by the activities when they run. */
  configBackupEnv: (dirs: { storeDir: string; etcDir: string }) => Record<string, string>;
  log: (line: string) => void;
}

export async function startRecordingStack(options: StackOptions): Promise<RecordingStack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: Error) => options.log(`cleanup: ${error.message}`));
  };
  try {
    installTemporalRuntime(); // the SDK's own logs at warn and above only
    const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-histories-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const etcDir = path.join(dir, 'etc');
    await mkdir(etcDir, { recursive: true });
    Object.assign(process.env, options.configBackupEnv({ storeDir: path.join(dir, 'config-store'), etcDir }));

    options.log('creating scratch databases');
    const database: ScratchDatabase = await createScratchDatabase(adminUrl, 'sentinel_histories', 'recording workflow histories');
    cleanups.push(() => database.drop());
    const modelsDatabase = await createScratchDatabase(adminUrl, 'sentinel_histories_models', 'recording workflow histories');
    cleanups.push(() => modelsDatabase.drop());
    const pool = createPool(database.url, 5);
    cleanups.push(() => pool.end());
    const modelsPool = createPool(modelsDatabase.url, 5);
    cleanups.push(() => modelsPool.end());

    options.log('starting a headless Temporal dev server');
    const server: DevServer = await startDevServer({ headless: true });
    cleanups.push(() => server.stop());

    options.log('bundling the workflows');
    const bundlePath = await writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
    const configPath = path.join(dir, 'sentinel.yaml');
    await writeFile(configPath, stringify({ targets: [] }));

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: sentinelDataConverter(), identity: RECORDER_IDENTITY });

    const silent = pino({ level: process.env.HISTORIES_LOG_LEVEL ?? 'silent' });
    const workers: Worker[] = [];
    const startSentinelWorker = async (taskQueue: string, db: pg.Pool) => {
      const native = await NativeConnection.connect({ address: server.address });
      cleanups.push(() => native.close());
      const worker = await createSentinelWorker({
        connection: native,
        namespace: 'default',
        taskQueue,
        workflowBundlePath: bundlePath,
        deps: {
          db,
          loadSettings: cachedSettingsLoader(configPath),
          backupDir: path.join(dir, 'backups'),
          configBackup: configBackupSourceFromEnv(),
          log: silent,
        },
        overrides: { shutdownGraceTime: '2s', identity: `${RECORDER_IDENTITY}-worker` },
      });
      workers.push(worker);
    };
    await startSentinelWorker(TASK_QUEUE, pool);
    await startSentinelWorker(MODELS_TASK_QUEUE, modelsPool);
    const theirNative = await NativeConnection.connect({ address: server.address });
    cleanups.push(() => theirNative.close());
    workers.push(
      await Worker.create({
        connection: theirNative,
        taskQueue: THEIR_TASK_QUEUE,
        workflowBundle: await bundleWorkflowCode({ workflowsPath: CUSTOM_BACKUP_WORKFLOWS, logger: quietBundlerLogger }),
        dataConverter: sentinelDataConverter(),
        identity: `${RECORDER_IDENTITY}-their-worker`,
      }),
    );
    const running = workers.map((worker) => worker.run());
    cleanups.push(async () => {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(running);
    });

    return {
      client,
      pool,
      modelsPool,
      databaseUrl: database.url,
      dir,
      configPath,
      etcDir,
      async writeConfig(config) {
        await writeFile(configPath, stringify(config));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
