import path from 'node:path';
import type pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { freePort } from './dev-server.js';
import type { SentinelEnv } from './env.js';
import { redactUrl } from './redact.js';
import { readRuntimeInfo } from './runtime-file.js';

export interface OpenDatabase {
  pool: pg.Pool;
  url: string;
  embedded: EmbeddedPostgres | undefined;
  close(): Promise<void>;
}

/**
 * DATABASE_URL when set; else the embedded database of a running `npm start`; else an embedded PGlite under
 * `.data/pglite` opened by this process. Migrations are applied before the pool is handed out.
 */
export async function openDatabase(env: SentinelEnv, options: { embeddedPort?: number } = {}): Promise<OpenDatabase> {
  let url = env.databaseUrl ?? (await readRuntimeInfo(env.dataDir))?.databaseUrl;
  let embedded: EmbeddedPostgres | undefined;
  if (!url) {
    embedded = await startEmbeddedPostgres(path.join(env.dataDir, 'pglite'), options.embeddedPort ?? (await freePort()));
    url = embedded.url;
  }
  try {
    await migrate(url);
  } catch (error) {
    await embedded?.stop();
    throw new Error(`cannot use the database at ${redactUrl(url)}: ${(error as Error).message}`);
  }
  // PGlite serialises everything through one session: a small pool avoids queueing behind held connections.
  const pool = createPool(url, embedded ? 4 : 10);
  return {
    pool,
    url,
    embedded,
    async close() {
      await pool.end();
      await embedded?.stop();
    },
  };
}
