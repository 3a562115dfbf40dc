/**
 * What the configuration-backup bench runs against: a fresh PostgreSQL database, a Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), a prebundled workflow bundle and one in-process worker with the product's pool size.
 * Everything acquired is released by `close`, also when setup fails half-way.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import type pg from 'pg';
import { pino } from 'pino';
import { createPool } from '../../db/pool.js';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { startDevServer, type DevServer } from '../../platform/dev-server.js';
import { redactUrl } from '../../platform/redact.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { installTemporalRuntime } from '../../platform/temporal-runtime.js';
import { createSentinelWorker, WORKFLOWS_PATH } from '../../workers/create-worker.js';
import { createScratchDatabase } from '../../db/scratch-database.js';
import { quietBundlerLogger } from '../../platform/quiet-bundler-logger.js';
import { configBackupSourceFromEnv } from '../../capabilities/config-backup/services.js';

const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
// What workers/main.ts gets from platform/database.ts for an external DATABASE_URL.
const PRODUCT_POOL_SIZE = 10;

export interface ConfigBenchEnvironment {
  client: Client;
  pool: pg.Pool;
  databaseUrl: string;
  taskQueue: string;
  temporalAddress: string;
  devServerPid: number | undefined;
  postgresVersion: string;
  workDir: string;
  close(): Promise<string[]>;
}

export async function openConfigBenchEnvironment(log: (message: string) => void): Promise<ConfigBenchEnvironment> {
  const closers: Array<{ name: string; run: () => Promise<unknown> }> = [];
  const close = async (): Promise<string[]> => {
    const problems: string[] = [];
    for (const closer of closers.splice(0).reverse()) await closer.run().catch((error: Error) => problems.push(`${closer.name}: ${error.message}`));
    return problems;
  };
  try {
    const adminUrl = process.env.SENTINEL_BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
    log(`creating and migrating a scratch database on ${redactUrl(adminUrl)}`);
    const database = await createScratchDatabase(adminUrl, 'sentinel_bench_cfg', 'the bench');
    const postgresVersion = database.serverVersion;
    closers.push({ name: `drop database ${database.name}`, run: () => database.drop() });
    const databaseUrl = database.url;

    let server: DevServer | undefined;
    if (!process.env.TEMPORAL_ADDRESS) {
      log('starting the Temporal dev server (headless, in-memory)');
      server = await startDevServer({ headless: true });
      const started = server;
      closers.push({ name: 'stop dev server', run: () => started.stop() });
    }
    const temporalAddress = process.env.TEMPORAL_ADDRESS ?? server!.address;

    const workDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-bench-config-'));
    closers.push({ name: 'remove work dir', run: () => rm(workDir, { recursive: true, force: true }) });
    log('bundling workflow code');
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
    const bundlePath = path.join(workDir, 'workflow-bundle.js');
    await writeFile(bundlePath, bundle.code);

    const connection = await Connection.connect({ address: temporalAddress });
    closers.push({ name: 'close client connection', run: () => connection.close() });
    const client = new Client({ connection, dataConverter: sentinelDataConverter() });
    installTemporalRuntime();
    const native = await NativeConnection.connect({ address: temporalAddress });
    closers.push({ name: 'close worker connection', run: () => native.close() });
    const pool = createPool(databaseUrl, PRODUCT_POOL_SIZE);
    closers.push({ name: 'close pool', run: () => pool.end() });
    const taskQueue = `bench-config-${randomUUID().slice(0, 8)}`;
    const worker = await createSentinelWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundlePath: bundlePath,
      // The product's info-level logging cost, without flooding the terminal.
      deps: {
        db: pool,
        loadSettings: cachedSettingsLoader(path.join(workDir, 'sentinel.yaml')),
        backupDir: path.join(workDir, 'backups'),
        configBackup: configBackupSourceFromEnv(),
        log: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true })),
      },
    });
    const running = worker.run();
    closers.push({
      name: 'stop worker',
      run: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
      },
    });
    return { client, pool, databaseUrl, taskQueue, temporalAddress, devServerPid: server?.pid, postgresVersion, workDir, close };
  } catch (error) {
    const problems = await close();
    if (problems.length) (error as Error).message += ` (cleanup problems: ${problems.join('; ')})`;
    throw error;
  }
}
