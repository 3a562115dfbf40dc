import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool } from '../../db/pool.js';

/**
 * A database of its own for one test file (or one scenario), cloned from the run's migrated database, which serves
 * only as the template (nobody connects to it: PostgreSQL refuses to copy a database with open sessions). Files
 * then cannot see each other's rows: a config backup sealed under one file's key, an active model, a history.
 */
export interface IsolatedDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createIsolatedDatabase(suffix: string): Promise<IsolatedDatabase> {
  const template = new URL(inject('databaseUrl'));
  const templateName = template.pathname.slice(1);
  const tag = `${suffix.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${randomBytes(3).toString('hex')}`;
  const name = `${templateName.slice(0, 62 - tag.length)}_${tag}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${templateName}`);
  const url = new URL(template.toString());
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), 6);
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end().catch(() => undefined);
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    },
  };
}

/** Runs one statement on the server's maintenance database (never on the template). */
async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
