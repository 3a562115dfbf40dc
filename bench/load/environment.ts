import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { stringify } from 'yaml';
import { SentinelClient } from '../../client/sentinel-client.js';
import { createScratchDatabase } from '../../db/scratch-database.js';
import { startDevServer, type DevServer } from '../../platform/dev-server.js';
import { redactUrl } from '../../platform/redact.js';
import { writeWorkflowBundle } from '../../workers/workflow-bundle.js';
import { createTeardown } from '../shared/teardown.js';
import { startLoadWorker, type LoadWorker } from './worker-process.js';

const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

/**
 * Gate settings of every load target. Threshold 0.95 keeps the rules predictor (about 0.05 for a target whose runs
 * all succeed) far below "high", so every run proceeds. Should one ever be judged high risk anyway, the short delay,
 * one delay at most and a 5 s approval timeout still end it without a human (as `skipped` after about 11 s), and
 * the bench reports it among the decisions instead of hanging.
 */
export const LOAD_GATE = { policy: 'delay', threshold: 0.95, delayMinutes: 0.1, maxDelays: 1, approvalTimeout: '5s' } as const;

export interface LoadEnvironment {
  temporalAddress: string;
  devServerPid: number;
  sentinel: (taskQueue: string) => Promise<SentinelClient>;
  /** Client without a fixed task queue, for list/count/history reads. */
  reader: SentinelClient;
  db: pg.Pool;
  database: { name: string; server: string; version: string };
  targets: string[];
  backupCommand: string;
  workDir: string;
  logDir: string;
  /** `memoryProbeMs`: how often the worker writes process.memoryUsage() to its probe file. */
  startWorker(name: string, taskQueue: string, memoryProbeMs: number): Promise<LoadWorker>;
  closing: AbortSignal;
  close(): Promise<string[]>;
}

export interface LoadEnvironmentOptions {
  targets: number;
  backupCommand: string;
  log: (message: string) => void;
}

/**
 * Everything the load bench runs against: a fresh migrated database, its own headless dev server, a sentinel.yaml
 * with `targets` command targets, the prebuilt workflow bundle and a payload key (payloads encrypted, as with any
 * production worker). Worker processes are started per phase through `startWorker` and stopped by `close` at the
 * latest. What was acquired is released by `close`, also when setup fails half-way.
 */
export async function openLoadEnvironment(options: LoadEnvironmentOptions): Promise<LoadEnvironment> {
  const { log } = options;
  const { closers, closing, close } = createTeardown(60_000);

  try {
    // The codec reads the key when a client or worker is created: set before any of them exists.
    const codecKey = process.env.CONFIG_BACKUP_KEY?.trim() || `load:${randomBytes(32).toString('base64')}`;
    process.env.CONFIG_BACKUP_KEY = codecKey;

    const adminUrl = process.env.SENTINEL_BENCH_DATABASE_URL ?? DEFAULT_ADMIN_URL;
    log(`creating and migrating a scratch database on ${redactUrl(adminUrl)}`);
    const database = await createScratchDatabase(adminUrl, 'sentinel_bench_load', 'the load bench');
    closers.push({ name: `drop database ${database.name}`, run: () => database.drop() });

    log('starting the Temporal dev server (headless, in-memory)');
    const server: DevServer = await startDevServer({ headless: true });
    closers.push({ name: 'stop dev server', run: () => server.stop() });

    const workDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-load-'));
    closers.push({ name: 'remove work dir', run: () => rm(workDir, { recursive: true, force: true }) });
    // Logs outlive the run (outside the work dir), so a worker that fell over can be investigated afterwards.
    const logDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-load-logs-'));

    const targets = Array.from({ length: options.targets }, (_, i) => `load-${String(i + 1).padStart(3, '0')}`);
    const configPath = path.join(workDir, 'sentinel.yaml');
    await writeFile(
      configPath,
      stringify({ targets: targets.map((name) => ({ name, kind: 'command', command: options.backupCommand, timeoutSeconds: 60, ...LOAD_GATE })) }),
    );

    log('bundling workflow code');
    const bundlePath = await writeWorkflowBundle(path.join(workDir, 'workflow-bundle.js'));

    const connection = await Connection.connect({ address: server.address });
    closers.push({ name: 'close client connection', run: () => connection.close() });
    const reader = await SentinelClient.connect({ connection });
    const db = new pg.Pool({ connectionString: database.url, max: 4 });
    closers.push({ name: 'close verification pool', run: () => db.end() });

    const workers: LoadWorker[] = [];
    closers.push({
      name: 'stop worker processes',
      run: async () => {
        await Promise.all(workers.map((w) => w.stop()));
      },
    });
    const dataDir = path.join(workDir, 'data');
    await mkdir(dataDir, { recursive: true });

    return {
      temporalAddress: server.address,
      devServerPid: server.pid!,
      sentinel: (taskQueue) => SentinelClient.connect({ connection, taskQueue }),
      reader,
      db,
      database: { name: database.name, server: redactUrl(adminUrl), version: database.serverVersion },
      targets,
      backupCommand: options.backupCommand,
      workDir,
      logDir,
      closing: closing.signal,
      close,
      async startWorker(name, taskQueue, memoryProbeMs) {
        closing.signal.throwIfAborted();
        const worker = await startLoadWorker({
          name,
          temporalAddress: server.address,
          taskQueue,
          databaseUrl: database.url,
          configPath,
          backupDir: path.join(workDir, 'backups'),
          dataDir,
          workflowBundlePath: bundlePath,
          codecKey,
          logFile: path.join(logDir, `${name}.log`),
          memoryProbeFile: path.join(logDir, `${name}.memory.jsonl`),
          memoryProbeMs,
          readyTimeoutMs: 180_000,
        });
        workers.push(worker);
        return worker;
      },
    };
  } catch (error) {
    const problems = await close();
    if (problems.length) (error as Error).message += ` (cleanup problems: ${problems.join('; ')})`;
    throw error;
  }
}

export const freshTaskQueue = (phase: string): string => `load-${phase}-${randomUUID().slice(0, 8)}`;
