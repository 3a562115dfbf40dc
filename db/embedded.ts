import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { openEmbeddedDoor } from './embedded-door.js';

/**
 * The single-machine default when DATABASE_URL is unset: PGlite persisted under `.data/`, served over the
 * PostgreSQL wire protocol so `pg` talks to it unchanged. All connections share one session, so it suits one
 * worker on one machine; concurrency and locking are tested on real PostgreSQL.
 *
 * Because that session is shared, only the service may connect: the TCP port asks for a password made at each
 * start (it is in `url`, which only the service and its runtime file hold), and PGlite itself listens on a Unix
 * socket in a private directory (embedded-door.ts says why pinning `search_path` instead would not be enough).
 */
export interface EmbeddedPostgres {
  /** The service's own connection URL, password included: never print it unredacted. */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, port = 5433): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  // mkdtemp creates the directory 0700: no other local user reaches the socket inside. Short path: sun_path is ~107 bytes.
  const socketDir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-pglite-'));
  const innerSocketPath = path.join(socketDir, 'pglite.sock');
  const password = randomBytes(18).toString('base64url');
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, path: innerSocketPath, maxConnections: 16 });
  let door;
  try {
    await server.start();
    door = await openEmbeddedDoor({ host: '127.0.0.1', port, password, innerSocketPath });
  } catch (error) {
    await server.stop().catch(() => undefined);
    await db.close().catch(() => undefined);
    await rm(socketDir, { recursive: true, force: true });
    throw error;
  }
  const opened = door;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${opened.port}/postgres`,
    async stop() {
      await opened.close();
      await server.stop();
      await db.close();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}
