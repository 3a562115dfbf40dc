import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import { insertBackupRun, recentHistory } from '../../db/repositories/backup-runs.js';
import { freePort } from '../../platform/dev-server.js';
import { redactUrl } from '../../platform/redact.js';

// The default for `npm start` without DATABASE_URL: PGlite under .data, served over the wire protocol to `pg`.
let dir: string;
let embedded: EmbeddedPostgres;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-pglite-'));
  embedded = await startEmbeddedPostgres(path.join(dir, 'pglite'), await freePort());
});

afterAll(async () => {
  await embedded?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('embedded PGlite default', () => {
  it('takes every migration and serves a pg pool of several connections', async () => {
    const applied = await migrate(embedded.url);
    expect(applied.length).toBeGreaterThanOrEqual(4);
    expect(await migrate(embedded.url)).toEqual([]);
    const pool = createPool(embedded.url, 4);
    try {
      await Promise.all(
        [0, 1, 2, 3].map((i) =>
          insertBackupRun(pool, {
            backupId: `b${i}`,
            target: 't',
            startedAt: new Date(Date.UTC(2026, 0, 1, i)),
            endedAt: null,
            status: 'completed',
            durationSeconds: 10 + i,
            sizeBytes: 100,
            source: 'import',
          }),
        ),
      );
      const history = await recentHistory(pool, 't', new Date(Date.UTC(2026, 0, 2)));
      expect(history.map((r) => r.backupId)).toEqual(['b3', 'b2', 'b1', 'b0']);
    } finally {
      await pool.end();
    }
  });

  it('keeps its data across a restart of the same directory', async () => {
    await embedded.stop();
    embedded = await startEmbeddedPostgres(path.join(dir, 'pglite'), await freePort());
    const pool = createPool(embedded.url, 2);
    try {
      const count = await pool.query('SELECT count(*)::int AS n FROM backup_runs');
      expect(count.rows[0].n).toBe(4);
    } finally {
      await pool.end();
    }
  });
});

// Issue #11 item 2: every connection shares PGlite's one session, so one foreign client's
// `set_config('search_path', '', false)` (pg_dump's first statement) used to break every later query of the service.
describe('embedded PGlite: only the service gets into its shared session', () => {
  const serviceStillWorks = async (pool: pg.Pool, backupId: string) => {
    await insertBackupRun(pool, {
      backupId,
      target: 'door',
      startedAt: new Date(),
      endedAt: null,
      status: 'completed',
      durationSeconds: 1,
      sizeBytes: 1,
      source: 'import',
    });
    const row = await pool.query('SELECT backup_id FROM backup_runs WHERE backup_id = $1', [backupId]);
    expect(row.rows).toEqual([{ backup_id: backupId }]);
    expect((await pool.query('SHOW search_path')).rows[0].search_path).toBe('public');
  };

  it("refuses a client without the service's password, so its set_config never reaches the session", async () => {
    const pool = createPool(embedded.url, 4);
    try {
      await serviceStillWorks(pool, 'door-1'); // the service's connections are open and in use meanwhile
      const port = new URL(embedded.url).port;
      for (const url of [`postgres://postgres@127.0.0.1:${port}/postgres`, redactUrl(embedded.url), `postgres://backup:guess@localhost:${port}/other`]) {
        const intruder = new pg.Client({ connectionString: url });
        const refused = await intruder.connect().then(
          async () => {
            await intruder.query("SELECT set_config('search_path', '', false)");
            return undefined;
          },
          (error: Error) => error,
        );
        await intruder.end().catch(() => undefined);
        expect(refused?.message).toMatch(/password authentication failed .*serves only the service itself/);
        await serviceStillWorks(pool, `door-${url.length}-${Math.random()}`);
      }
    } finally {
      await pool.end();
    }
  });

  it('pg_dump pointed at the printed (redacted) URL is refused before it can run a statement', async () => {
    const pool = createPool(embedded.url, 2);
    try {
      const dump = await promisify(execFile)('pg_dump', ['--no-password', '--file=/dev/null', `--dbname=${redactUrl(embedded.url).replace(':***', '')}`]).then(
        () => undefined,
        (error: { stderr: string }) => error.stderr,
      );
      expect(dump).toMatch(/no password supplied|password authentication failed/);
      await serviceStillWorks(pool, 'door-pg-dump');
    } finally {
      await pool.end();
    }
  });

  it('a raw client that skips authentication and sends a query gets nothing executed', async () => {
    const pool = createPool(embedded.url, 2);
    try {
      const port = Number(new URL(embedded.url).port);
      const params = Buffer.from('user\0postgres\0database\0postgres\0\0', 'utf8');
      const startup = Buffer.alloc(8);
      startup.writeInt32BE(8 + params.length, 0);
      startup.writeInt32BE(196608, 4);
      const sql = Buffer.from("SELECT set_config('search_path', '', false)\0", 'utf8');
      const query = Buffer.alloc(5);
      query.write('Q', 0);
      query.writeInt32BE(4 + sql.length, 1);
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(Buffer.concat([startup, params, query, sql])));
        let received = Buffer.alloc(0);
        socket.on('data', (chunk) => (received = Buffer.concat([received, chunk])));
        socket.setTimeout(5_000, () => socket.destroy()); // a server that never hangs up let the client in
        socket.on('close', () => resolve(received));
        socket.on('error', reject);
      });
      expect(reply.subarray(0, 1).toString()).toBe('R'); // asked for a password...
      expect(reply.toString('utf8')).toContain("requires the service's password"); // ...and refused the query
      await serviceStillWorks(pool, 'door-raw');
    } finally {
      await pool.end();
    }
  });
});
