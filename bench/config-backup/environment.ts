/**
 * What the configuration-backup bench runs against: a fresh PostgreSQL database, a Temporal dev server (unless
 * TEMPORAL_ADDRESS is set), a prebundled workflow bundle and one in-process worker with the product's pool size.
 * Everything acquired is released by `close`, also when setup fails half-way.
 *
 * The worker runs the compiled build (dist/, what `npm run worker`, `npm start` and the image run; `npm run
 * bench:config` builds it first when stale) with its prebuilt workflow bundle, so its parse threads start from
 * JavaScript as in production. `BENCH_FROM=sources` runs the TypeScript sources through tsx instead (each parse
 * thread then loads tsx and compiles its modules: a slower cold run).
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection } from '@temporalio/worker';
import type pg from 'pg';
import { pino } from 'pino';
import { startDevServer, type DevServer } from '../../platform/dev-server.js';
import { redactUrl } from '../../platform/redact.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { installTemporalRuntime } from '../../platform/temporal-runtime.js';
import { WORKFLOWS_PATH } from '../../workers/create-worker.js';
import { createScratchDatabase } from '../../db/scratch-database.js';
import { quietBundlerLogger } from '../../platform/quiet-bundler-logger.js';

type WorkerModules = {
  createSentinelWorker: typeof import('../../workers/create-worker.js').createSentinelWorker;
  createPool: typeof import('../../db/pool.js').createPool;
  cachedSettingsLoader: typeof import('../../platform/settings-file.js').cachedSettingsLoader;
  configBackupSourceFromEnv: typeof import('../../capabilities/config-backup/services.js').configBackupSourceFromEnv;
};

const DIST_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');

/** The worker's modules: from dist/ (default) or from the TypeScript sources (BENCH_FROM=sources). */
async function workerModules(from: 'dist' | 'sources'): Promise<WorkerModules & { bundlePath: string | undefined }> {
  if (from === 'sources') {
    return {
      createSentinelWorker: (await import('../../workers/create-worker.js')).createSentinelWorker,
      createPool: (await import('../../db/pool.js')).createPool,
      cachedSettingsLoader: (await import('../../platform/settings-file.js')).cachedSettingsLoader,
      configBackupSourceFromEnv: (await import('../../capabilities/config-backup/services.js')).configBackupSourceFromEnv,
      bundlePath: undefined,
    };
  }
  const bundlePath = path.join(DIST_DIR, 'workflow-bundle.js');
  if (!existsSync(bundlePath)) throw new Error(`${bundlePath} is missing: run \`npm run build\` (npm run bench:config does), or BENCH_FROM=sources`);
  const load = async <T>(relative: string): Promise<T> => (await import(pathToFileURL(path.join(DIST_DIR, relative)).href)) as T;
  return {
    createSentinelWorker: (await load<typeof import('../../workers/create-worker.js')>('workers/create-worker.js')).createSentinelWorker,
    createPool: (await load<typeof import('../../db/pool.js')>('db/pool.js')).createPool,
    cachedSettingsLoader: (await load<typeof import('../../platform/settings-file.js')>('platform/settings-file.js')).cachedSettingsLoader,
    configBackupSourceFromEnv: (await load<typeof import('../../capabilities/config-backup/services.js')>('capabilities/config-backup/services.js'))
      .configBackupSourceFromEnv,
    bundlePath,
  };
}

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
  /** Where the worker's code came from: `dist` (compiled, the default) or `sources` (tsx). */
  workerFrom: 'dist' | 'sources';
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
    const workerFrom = process.env.BENCH_FROM === 'sources' ? 'sources' : 'dist';
    const modules = await workerModules(workerFrom);
    const { createPool, cachedSettingsLoader, configBackupSourceFromEnv, createSentinelWorker } = modules;
    let bundlePath = modules.bundlePath;
    if (!bundlePath) {
      log('bundling workflow code');
      const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
      bundlePath = path.join(workDir, 'workflow-bundle.js');
      await writeFile(bundlePath, bundle.code);
    }
    log(`worker from ${workerFrom === 'dist' ? 'the compiled build (dist/)' : 'the TypeScript sources (tsx)'}`);

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
    return { client, pool, databaseUrl, taskQueue, temporalAddress, devServerPid: server?.pid, postgresVersion, workerFrom, workDir, close };
  } catch (error) {
    const problems = await close();
    if (problems.length) (error as Error).message += ` (cleanup problems: ${problems.join('; ')})`;
    throw error;
  }
}
