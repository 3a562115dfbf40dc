import pg from 'pg';
import { redactUrl } from '../platform/redact.js';
import { migrate } from './migrate.js';

/** A throw-away, fully migrated database for one test run or benchmark, on the server `adminUrl` names. */
export interface ScratchDatabase {
  name: string;
  url: string;
  serverVersion: string;
  drop(): Promise<void>;
}

/** A throw-away empty database (no migrations), for a peer that brings its own schema (the Airflow bench). */
export async function createEmptyDatabase(adminUrl: string, prefix: string, purpose: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect().catch((error: Error) => {
    throw new Error(`${purpose} needs PostgreSQL at ${redactUrl(adminUrl)}: ${error.message}`);
  });
  let serverVersion: string;
  try {
    serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? 'unknown';
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    try {
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await cleanup.end();
    }
  };
  return { name, url: url.toString(), serverVersion, drop };
}

export async function createScratchDatabase(adminUrl: string, prefix: string, purpose: string): Promise<ScratchDatabase> {
  const database = await createEmptyDatabase(adminUrl, prefix, purpose);
  try {
    await migrate(database.url);
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  return database;
}
