import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { migrate } from '../../db/migrate.js';

/**
 * Several processes migrate the same database at once (a worker starting while CLI calls run, or CLI calls started
 * together): node-pg-migrate's lock used to make all but one fail with "Another migration is already running".
 */
const name = `sentinel_migrate_${process.pid}_${Date.now()}`;
let url: string;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const parsed = new URL(inject('databaseAdminUrl'));
  parsed.pathname = `/${name}`;
  url = parsed.toString();
});

afterAll(async () => {
  const admin = new pg.Client({ connectionString: inject('databaseAdminUrl') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('migrations run concurrently', () => {
  it('six concurrent runs all succeed; the migrations are applied exactly once', async () => {
    const runs = await Promise.allSettled(Array.from({ length: 6 }, () => migrate(url)));
    expect(runs.map((run) => run.status)).toEqual(Array(6).fill('fulfilled'));
    const applied = runs.flatMap((run) => (run.status === 'fulfilled' ? run.value : []));
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied.length).toBeGreaterThanOrEqual(5);
  });
});
