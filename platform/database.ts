import path from 'node:path';
import type pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../db/embedded.js';
import { migrate } from '../db/migrate.js';
import { createPool } from '../db/pool.js';
import { freePort } from './dev-server.js';
import { acquireDataDirLock, DataDirLockedError, type DataDirLock } from './data-dir-lock.js';
import type { SentinelEnv } from './env.js';
import { redactUrl } from './redact.js';
import { readRuntimeInfo, runtimeFileIn } from './runtime-file.js';

export interface OpenDatabase {
  pool: pg.Pool;
  url: string;
  embedded: EmbeddedPostgres | undefined;
  /** `url` when it is an embedded PGlite (opened here or by `npm start`), whose one session must not be shared. */
  embeddedUrl: string | undefined;
  close(): Promise<void>;
}

/**
 * DATABASE_URL when set; else the database of the running `npm start` (its runtime.json); else an embedded PGlite
 * under `.data/pglite` opened by this process, which then holds the data directory's lock until `close()`, so a
 * service (or another CLI) starting meanwhile refuses instead of opening the same files. When the lock is held by a
 * live process whose runtime.json is missing or unreadable (still starting, or the file was removed), this refuses
 * rather than open the files under it. Migrations are applied before the pool is handed out.
 */
export async function openDatabase(env: SentinelEnv, options: { embeddedPort?: number; role?: string } = {}): Promise<OpenDatabase> {
  let url = env.databaseUrl ?? (await readRuntimeInfo(env.dataDir))?.databaseUrl;
  let embedded: EmbeddedPostgres | undefined;
  let lock: DataDirLock | undefined;
  if (!url) {
    try {
      lock = await acquireDataDirLock(env.dataDir, options.role ?? describeThisProcess());
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      throw new Error(
        `${error.message}, and ${runtimeFileIn(env.dataDir)} does not say where its database listens (still starting, or the file is gone): ` +
          'this process will not open the embedded database under it. Wait until `npm start` says it is running, or set DATABASE_URL.',
      );
    }
    try {
      embedded = await startEmbeddedPostgres(path.join(env.dataDir, 'pglite'), options.embeddedPort ?? (await freePort()));
    } catch (error) {
      lock.release();
      throw error;
    }
    url = embedded.url;
  }
  try {
    await migrate(url);
  } catch (error) {
    await embedded?.stop();
    lock?.release();
    throw new Error(`cannot use the database at ${redactUrl(url)}: ${(error as Error).message}`);
  }
  // PGlite serialises everything through one session: a small pool avoids queueing behind held connections.
  const pool = createPool(url, embedded ? 4 : 10);
  const isEmbedded = embedded !== undefined || (await servedByPglite(pool).catch(() => false));
  return {
    pool,
    url,
    embedded,
    embeddedUrl: isEmbedded ? url : undefined,
    async close() {
      await pool.end();
      await embedded?.stop();
      lock?.release();
    },
  };
}

/** `sentinel history import`, `worker`, ...: the command words only (options may hold secrets). */
function describeThisProcess(): string {
  const script = path.basename(process.argv[1] ?? 'node').replace(/\.[jt]s$/, '');
  const words = process.argv
    .slice(2)
    .filter((a) => /^[a-z][a-z-]*$/.test(a))
    .slice(0, 2);
  return [script, ...words].join(' ');
}

/** The URL may be `npm start`'s embedded database (DATABASE_URL given by it, or its runtime file): ask the server. */
async function servedByPglite(pool: pg.Pool): Promise<boolean> {
  const result = await pool.query<{ version: string }>('SELECT version()');
  return /\(PGlite /.test(result.rows[0]?.version ?? '');
}
