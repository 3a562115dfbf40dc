import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { createScratchDatabase } from '../../db/scratch-database.js';
import { startDevServer, type DevServer } from '../../platform/dev-server.js';
import { writeWorkflowBundle } from '../../workers/workflow-bundle.js';

/**
 * One Temporal dev server and one fresh PostgreSQL database for the whole integration run. TEMPORAL_ADDRESS points
 * the tests at an existing cluster instead; SENTINEL_TEST_DATABASE_URL (or DATABASE_URL) names the server on which
 * the per-run database is created.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    /** The run's migrated database: the template every test file's own database is cloned from. */
    databaseUrl: string;
    /** The server's maintenance database, for CREATE/DROP DATABASE. */
    databaseAdminUrl: string;
    workflowBundlePath: string;
    temporalBinary: string;
  }
}

const DEFAULT_ADMIN_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.SENTINEL_TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const database = await createScratchDatabase(adminUrl, 'sentinel_test', 'the integration tests');
  const databaseUrl = database.url;

  const server: DevServer | undefined = process.env.TEMPORAL_ADDRESS ? undefined : await startDevServer({ headless: true });
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? server!.address;

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-test-'));
  const workflowBundlePath = await writeWorkflowBundle(path.join(workDir, 'workflow-bundle.js'));

  project.provide('temporalAddress', temporalAddress);
  project.provide('databaseUrl', databaseUrl);
  project.provide('databaseAdminUrl', adminUrl);
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('temporalBinary', path.resolve('.tools/bin/temporal'));

  return async () => {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
    await dropClones(adminUrl, database.name).catch(() => undefined); // of files that crashed before closing
    await database.drop().catch(() => undefined);
  };
}

async function dropClones(adminUrl: string, template: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const clones = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [`${template}_`]);
    for (const { datname } of clones.rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
