import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../db/embedded.js';
import { migrate } from '../../db/migrate.js';
import { createPool } from '../../db/pool.js';
import { insertBackupRun, recentHistory } from '../../db/repositories/backup-runs.js';
import { freePort } from '../../lib/dev-server.js';

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
          insertBackupRun(pool, { backupId: `b${i}`, target: 't', startedAt: new Date(Date.UTC(2026, 0, 1, i)), endedAt: null, status: 'completed', durationSeconds: 10 + i, sizeBytes: 100, source: 'import' }),
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
