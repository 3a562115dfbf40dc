import { installDbProbe } from './db-probe.js';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { createPool } from '../../db/pool.js';
import { cachedSettingsLoader } from '../../platform/settings-file.js';
import { startDevServer, TEMPORAL_BIN, type DevServer } from '../../platform/dev-server.js';
import { redactUrl } from '../../platform/redact.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { installTemporalRuntime } from '../../platform/temporal-runtime.js';
import { createSentinelWorker } from '../../workers/create-worker.js';
import { floorActivities } from './floor-activities.js';
import { createScratchDatabase } from '../../db/scratch-database.js';
import { quietBundlerLogger } from '../../platform/quiet-bundler-logger.js';
import { createTeardown } from '../shared/teardown.js';
import { configBackupSourceFromEnv } from '../../capabilities/config-backup/services.js';

export { withTimeout } from '../shared/teardown.js';

const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';
export const BENCH_TARGET = 'bench-true';
const BENCH_WORKFLOWS_PATH = fileURLToPath(new URL('../bench-workflows.ts', import.meta.url));
// The pool size workers/main.ts gets from platform/database.ts for an external DATABASE_URL.
const PRODUCT_POOL_SIZE = 10;

export interface BenchEnvironment {
  client: Client;
  namespace: string;
  taskQueue: string;
  temporal: { address: string; source: 'own dev server (in-memory SQLite)' | 'TEMPORAL_ADDRESS'; version: string };
  postgres: { database: string; server: string; version: string };
  workerOverrides: Partial<WorkerOptions>;
  /** For CPU accounting; undefined when the bench uses a server at TEMPORAL_ADDRESS. */
  devServerPid: number | undefined;
  /** Aborted as soon as `close` begins, so measurement loops abandoned by a timeout stop starting runs. */
  closing: AbortSignal;
  /** Rejects if the worker stops on its own while the bench still needs it. */
  workerFailed: Promise<never>;
  close(): Promise<string[]>;
}

/**
 * Everything the bench measures against, set up before the clock starts: a fresh database, a Temporal server, a
 * prebundled workflow bundle and one worker on its own task queue. Whatever was acquired is released by `close`,
 * also when setup itself fails half-way.
 */
export async function openBenchEnvironment(log: (message: string) => void): Promise<BenchEnvironment> {
  const { closers, closing, close } = createTeardown(45_000);

  try {
    const adminUrl = process.env.SENTINEL_BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
    log(`creating and migrating a scratch database on ${redactUrl(adminUrl)}`);
    const database = await createScratchDatabase(adminUrl, 'sentinel_bench', 'the bench');
    const version = database.serverVersion;
    closers.push({ name: `drop database ${database.name}`, run: () => database.drop() });
    const databaseUrl = database.url;

    let server: DevServer | undefined;
    const externalAddress = process.env.TEMPORAL_ADDRESS;
    if (!externalAddress) {
      log('starting the Temporal dev server (headless, in-memory)');
      server = await startDevServer({ headless: true });
      const started = server;
      closers.push({ name: 'stop dev server', run: () => started.stop() });
    }
    const address = externalAddress ?? server!.address;
    const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';

    const workDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-bench-'));
    closers.push({ name: 'remove work dir', run: () => rm(workDir, { recursive: true, force: true }) });
    const configPath = path.join(workDir, 'sentinel.yaml');
    await writeFile(configPath, stringify({ targets: [{ name: BENCH_TARGET, kind: 'command', command: 'true', policy: 'delay' }] }));

    // The product's workflows plus the floor workflows in one bundle, so both run on the one worker.
    log('bundling workflow code (product workflows + bench floor workflows)');
    const bundle = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS_PATH, logger: quietBundlerLogger });
    const bundlePath = path.join(workDir, 'workflow-bundle.js');
    await writeFile(bundlePath, bundle.code);

    const connection = await Connection.connect({ address });
    closers.push({ name: 'close client connection', run: () => connection.close() });
    const client = new Client({ connection, namespace, dataConverter: sentinelDataConverter() });

    installTemporalRuntime();
    installDbProbe();
    const native = await NativeConnection.connect({ address });
    closers.push({ name: 'close worker connection', run: () => native.close() });
    const pool = createPool(databaseUrl, PRODUCT_POOL_SIZE);
    closers.push({ name: 'close pool', run: () => pool.end() });

    const taskQueue = `bench-decision-${randomUUID().slice(0, 8)}`;
    const workerOverrides = parseOverrides(process.env.BENCH_WORKER_OVERRIDES);
    const worker = await createSentinelWorker({
      connection: native,
      namespace,
      taskQueue,
      workflowBundlePath: bundlePath,
      deps: {
        db: pool,
        loadSettings: cachedSettingsLoader(configPath),
        backupDir: path.join(workDir, 'backups'),
        configBackup: configBackupSourceFromEnv(),
        log: discardingInfoLogger(),
      },
      extraActivities: floorActivities,
      overrides: workerOverrides,
    });
    const running = worker.run();
    const workerFailed = running.then(
      () => Promise.reject(new Error('the worker stopped before the bench finished')),
      (error: Error) => Promise.reject(new Error(`the worker failed: ${error.message}`)),
    );
    workerFailed.catch(() => undefined);
    closers.push({
      name: 'stop worker',
      run: async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
      },
    });

    return {
      client,
      namespace,
      taskQueue,
      temporal: { address, source: server ? 'own dev server (in-memory SQLite)' : 'TEMPORAL_ADDRESS', version: server ? temporalVersion() : 'external' },
      postgres: { database: database.name, server: redactUrl(adminUrl), version },
      workerOverrides,
      devServerPid: server?.pid ?? pidFromEnv(process.env.BENCH_SERVER_PID),
      closing: closing.signal,
      workerFailed,
      close,
    };
  } catch (error) {
    const problems = await close();
    if (problems.length) (error as Error).message += ` (cleanup problems: ${problems.join('; ')})`;
    throw error;
  }
}

/** Worker option experiments (profiling) come in as JSON; the recorded figures use none. */
function parseOverrides(json: string | undefined): Partial<WorkerOptions> {
  if (!json) return {};
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('BENCH_WORKER_OVERRIDES must be a JSON object');
  return value as Partial<WorkerOptions>;
}

/** Keeps the product's info-level logging cost (serialising every activity log line) without flooding the terminal. */
function discardingInfoLogger() {
  return pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
}

/** Lets CPU accounting include a server the bench did not start (profiling experiments with TEMPORAL_ADDRESS). */
function pidFromEnv(raw: string | undefined): number | undefined {
  const pid = Number(raw);
  return raw && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function temporalVersion(): string {
  try {
    return execFileSync(TEMPORAL_BIN, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
