import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../db/migrate.js';
import { startDevServer, type DevServer } from '../../lib/dev-server.js';
import { WORKFLOWS_PATH } from '../../workers/create-worker.js';

/**
 * One Temporal dev server and one fresh PostgreSQL database for the whole integration run. TEMPORAL_ADDRESS points
 * the tests at an existing cluster instead; SENTINEL_TEST_DATABASE_URL (or DATABASE_URL) names the server on which
 * the per-run database is created.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    databaseUrl: string;
    workflowBundlePath: string;
    temporalBinary: string;
  }
}

const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const dbName = `sentinel_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect().catch((error: Error) => {
    throw new Error(`integration tests need PostgreSQL at ${adminUrl.replace(/:[^:@/]*@/, ':***@')}: ${error.message}`);
  });
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  await migrate(databaseUrl);

  let server: DevServer | undefined;
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? (server = await startDevServer({ headless: true })).address;

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-test-'));
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const workflowBundlePath = path.join(workDir, 'workflow-bundle.js');
  await writeFile(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporalAddress);
  project.provide('databaseUrl', databaseUrl);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('temporalBinary', path.resolve('.tools/bin/temporal'));

  return async () => {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await cleanup.end();
  };
}

const quietLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log: () => undefined,
};
