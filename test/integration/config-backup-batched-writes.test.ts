/**
 * The run's store collects the batch's payloads into a pack written durably at the flush before the batch's rows
 * are committed (PayloadStore `packed`). These tests run `backupFiles` on the real filesystem and a real PostgreSQL
 * database: the batch lands durable, nothing is left behind, a pack that cannot be made durable fails exactly the
 * items whose payloads it held (the others commit), and a rerun backs those files up again.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireConfigBackupLock, createBackupSet, releaseConfigBackupLock } from '../../db/repositories/config-backups.js';
import { backupFiles } from '../../capabilities/config-backup/run/backup-items.js';
import { ViewPool } from '../../capabilities/config-backup/run/view-pool.js';
import { runServices } from '../../capabilities/config-backup/services.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';
import { TEMP_PREFIX } from '../../capabilities/config-backup/store/durable-fs.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../helpers/test-database.js';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';

const KEY = Buffer.alloc(32, 0x3c).toString('base64');
const LEASE_MS = 60_000;

let db: IsolatedDatabase;
let dir: string;

beforeAll(async () => {
  db = await createIsolatedDatabase('config_batched_writes');
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-batched-writes-'));
});
afterAll(async () => {
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function writeFiles(root: string, count: number): Promise<string[]> {
  await mkdir(root, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(root, `svc-${String(i).padStart(2, '0')}.yaml`);
    await writeFile(file, `service:\n  name: svc-${i}\n  password: pw-${i}-secret\n`);
    paths.push(file);
  }
  return paths;
}

/** Temp files anywhere in the store (loose objects' fan-out directories and the packs directory). */
async function tempFiles(storeDir: string): Promise<string[]> {
  const entries = await readdir(storeDir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile() && entry.name.startsWith(TEMP_PREFIX)).map((entry) => path.join(entry.parentPath, entry.name));
}

async function openRun(holder: string): Promise<number> {
  const lock = await acquireConfigBackupLock(db.pool, holder, LEASE_MS);
  expect(lock.acquired).toBe(true);
  return (await createBackupSet(db.pool, { workflowId: holder.split('#')[0]!, holder, envPrefix: null, keyId: 'default' })).id;
}

describe('batched payload writes (one pack per flush)', () => {
  it('commits a batch whose payloads are all durable and named, with no temp files left', async () => {
    const storeDir = path.join(dir, 'store-ok');
    const paths = await writeFiles(path.join(dir, 'etc-ok'), 12);
    const holder = 'batched-ok#1';
    const setId = await openRun(holder);
    const services = runServices({ CONFIG_BACKUP_KEY: KEY }, storeDir);
    const outcome = await backupFiles({ db: db.pool, setId, holder, leaseMs: LEASE_MS, services, paths, pool: null });
    await releaseConfigBackupLock(db.pool, holder);

    expect(outcome.items.map((item) => item.status)).toEqual(paths.map(() => 'backed_up'));
    expect(outcome.payloadsWritten).toBe(12);
    expect(await tempFiles(storeDir)).toEqual([]);
    const store = new PayloadStore(storeDir);
    const hashes = await db.pool.query<{ content_hash: string }>('SELECT content_hash FROM config_backup_items WHERE set_id = $1', [setId]);
    expect(hashes.rows).toHaveLength(12);
    // Views are stored lz4-compressed (migration 0013; this PostgreSQL is built with lz4), and read back whole.
    const compression = await db.pool.query<{ attcompression: string }>(
      `SELECT attcompression FROM pg_attribute WHERE attrelid = 'config_backup_views'::regclass AND attname = 'view'`,
    );
    expect(compression.rows[0]?.attcompression).toBe('l');
    const views = await db.pool.query<{ view: { kind: string } }>(
      'SELECT v.view FROM config_backup_views v JOIN config_backup_items i ON i.view_hash = v.view_hash WHERE i.set_id = $1',
      [setId],
    );
    expect(views.rows.map((row) => row.view.kind)).toEqual(paths.map(() => 'map'));
    const verified = await store.verifyAll(
      services.keyring,
      hashes.rows.map((row) => row.content_hash),
    );
    expect(verified.every((result) => result.ok)).toBe(true);
  });

  it('a pack that cannot be made durable fails exactly the items whose payloads it held; unchanged items commit, and a rerun backs them up', async () => {
    const storeDir = path.join(dir, 'store-one-bad');
    const paths = await writeFiles(path.join(dir, 'etc-one-bad'), 10);
    const run = async (holder: string, sabotage: boolean) => {
      const setId = await openRun(holder);
      try {
        const outcome = await backupFiles({
          db: db.pool,
          setId,
          holder,
          leaseMs: LEASE_MS,
          services: runServices({ CONFIG_BACKUP_KEY: KEY }, storeDir),
          paths,
          pool: null,
          concurrency: 1,
          // After every file is read and sealed, before the flush: the packs directory becomes a file, so writing
          // the pack fails (mkdir: EEXIST) as a failing disk would make it fail.
          onProgress: async (done, total) => {
            if (!sabotage || done !== total) return;
            await rename(path.join(storeDir, 'packs'), path.join(storeDir, 'packs.aside'));
            await writeFile(path.join(storeDir, 'packs'), 'not a directory');
          },
        });
        return { setId, outcome };
      } finally {
        await releaseConfigBackupLock(db.pool, holder);
      }
    };
    expect((await run('batched-one-bad#1', false)).outcome.payloadsWritten).toBe(10);
    const changed = [paths[3]!, paths[7]!];
    for (const file of changed) await writeFile(file, `service:\n  name: changed\n  password: ${path.basename(file)}-new\n`);

    const { setId, outcome } = await run('batched-one-bad#2', true);
    await rm(path.join(storeDir, 'packs'));
    await rename(path.join(storeDir, 'packs.aside'), path.join(storeDir, 'packs'));
    const byName = new Map(outcome.items.map((item) => [item.name, item]));
    for (const file of changed) {
      expect(byName.get(file)).toMatchObject({ status: 'failed', bytesWritten: 0, reason: `${file}: making the payload durable failed (EEXIST)` });
      expect(byName.get(file)!.id).toEqual(expect.any(Number));
    }
    expect(outcome.items.filter((item) => item.status === 'unchanged')).toHaveLength(8);
    expect(outcome.payloadsWritten).toBe(0);
    const rows = await db.pool.query<{ item_name: string; status: string; failure_code: string | null; content_hash: string | null }>(
      'SELECT item_name, status, failure_code, content_hash FROM config_backup_items WHERE set_id = $1 ORDER BY item_name',
      [setId],
    );
    expect(rows.rows).toHaveLength(10);
    expect(rows.rows.filter((row) => row.status === 'failed')).toEqual(
      changed.map((file) => ({ item_name: file, status: 'failed', failure_code: 'store-error', content_hash: null })),
    );
    const store = new PayloadStore(storeDir);
    const keyring = runServices({ CONFIG_BACKUP_KEY: KEY }, storeDir).keyring;
    for (const file of changed) expect(await store.has(keyring.contentHash(await readFile(file)))).toBe(false);
    for (const row of rows.rows.filter((r) => r.status === 'unchanged')) expect((await store.verify(row.content_hash!, keyring)).ok).toBe(true);
    expect(await tempFiles(storeDir)).toEqual([]);

    // The next run writes the files that failed and finds the others unchanged.
    const rerun = (await run('batched-one-bad#3', false)).outcome;
    for (const file of changed) expect(rerun.items.find((item) => item.name === file)).toMatchObject({ status: 'backed_up' });
    expect(rerun.items.filter((item) => item.status === 'unchanged')).toHaveLength(8);
    const after = new PayloadStore(storeDir);
    for (const file of changed) expect((await after.verify(keyring.contentHash(await readFile(file)), keyring)).ok).toBe(true);
  });

  it('with the parse threads staging the files, a missing file and a directory fail alone; the rest commits in one pack', async () => {
    const storeDir = path.join(dir, 'store-threads');
    const etc = path.join(dir, 'etc-threads');
    const files = await writeFiles(etc, 10);
    await mkdir(path.join(etc, 'conf.d'));
    const paths = [...files, path.join(etc, 'missing.yaml'), path.join(etc, 'conf.d')];
    const holder = 'batched-threads#1';
    const setId = await openRun(holder);
    const services = runServices({ CONFIG_BACKUP_KEY: KEY }, storeDir);
    const pool = new ViewPool(KEY, services.sensitiveKeys, 2);
    try {
      const outcome = await backupFiles({ db: db.pool, setId, holder, leaseMs: LEASE_MS, services, paths, pool });
      const byName = new Map(outcome.items.map((item) => [item.name, item]));
      expect(byName.get(path.join(etc, 'missing.yaml'))).toMatchObject({ status: 'failed', reason: `${path.join(etc, 'missing.yaml')} does not exist` });
      expect(byName.get(path.join(etc, 'conf.d'))).toMatchObject({ status: 'failed', reason: `${path.join(etc, 'conf.d')} is not a regular file` });
      expect(outcome.items.filter((item) => item.status === 'backed_up')).toHaveLength(10);
      expect(outcome.payloadsWritten).toBe(10);
      const rows = await db.pool.query<{
        item_name: string;
        status: string;
        failure_code: string | null;
        content_hash: string | null;
        view_hash: string | null;
      }>('SELECT item_name, status, failure_code, content_hash, view_hash FROM config_backup_items WHERE set_id = $1', [setId]);
      expect(rows.rows).toHaveLength(12);
      expect(
        rows.rows
          .filter((row) => row.status === 'failed')
          .map((row) => [row.item_name, row.failure_code])
          .sort(),
      ).toEqual(
        [
          [path.join(etc, 'conf.d'), 'not-a-file'],
          [path.join(etc, 'missing.yaml'), 'not-found'],
        ].sort(),
      );
      expect(await readdir(path.join(storeDir, 'packs'))).toHaveLength(1);
      const store = new PayloadStore(storeDir);
      for (const row of rows.rows.filter((r) => r.status === 'backed_up')) {
        expect((await store.verify(row.content_hash!, services.keyring)).ok).toBe(true);
        expect(row.view_hash).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(await tempFiles(storeDir)).toEqual([]);
    } finally {
      await releaseConfigBackupLock(db.pool, holder);
      await pool.close();
    }
  });
});
