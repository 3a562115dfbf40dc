import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sha256File } from '../../activities/backup/postgres.js';
import { getItem } from '../../db/repositories/config-backups.js';
import { Keyring } from '../../domain/config-backup/keyring.js';
import { configBackupWorkflowId, type ConfigBackupResult } from '../../domain/config-backup/contract.js';
import { preBackupWorkflowId, type PreBackupResult } from '../../domain/pre-backup/contract.js';
import { restoreItem } from '../../capabilities/config-backup/operations/restore-item.js';
import { PayloadStore } from '../../capabilities/config-backup/store/payload-store.js';
import { runCli } from '../helpers/cli.js';
import { filesBelow } from '../helpers/faults.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../helpers/model-database.js';
import { mountSmallFilesystem, type SmallFilesystem } from '../helpers/small-fs.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// BACKUP_DIR and CONFIG_BACKUP_DIR each live on a small filesystem of their own, filled during the test.
const BACKUP_FS_BYTES = 2 * 1024 * 1024;
const CONFIG_FS_BYTES = 1024 * 1024;
const CONFIG_FILES = 5;

let h: Harness;
let bigDb: IsolatedDatabase;
let backupFs: SmallFilesystem | undefined;
let configFs: SmallFilesystem | undefined;
let worker: WorkerProcess;
let confDir: string;

beforeAll(async () => {
  h = await createHarness('faults-disk');
  backupFs = await mountSmallFilesystem(path.join(h.dir, 'backups-fs'), BACKUP_FS_BYTES);
  configFs = await mountSmallFilesystem(path.join(h.dir, 'config-fs'), CONFIG_FS_BYTES);
  // A database whose dump (custom format, compressed) is larger than the whole backup filesystem: ~7.7 MB of hex.
  bigDb = await createIsolatedDatabase('diskfull');
  await bigDb.pool.query('CREATE TABLE filler (id int PRIMARY KEY, payload text NOT NULL)');
  await bigDb.pool.query(`INSERT INTO filler SELECT g, md5(random()::text) || md5(random()::text) FROM generate_series(1, 120000) AS g`);
  await writeFile(
    h.configPath,
    stringify({
      targets: [
        { name: 'small-db', kind: 'postgres', url: h.databaseUrl },
        { name: 'big-db', kind: 'postgres', url: bigDb.url },
      ],
    }),
  );
  confDir = path.join(h.dir, 'conf');
  await mkdir(confDir, { recursive: true });
  for (let i = 0; i < CONFIG_FILES; i++) await writeFile(path.join(confDir, `app-${i}.yaml`), `app: ${i}\nport: ${8000 + i}\n`);
  worker = spawnWorkerProcess({
    name: 'disk-worker',
    temporalAddress: h.temporalAddress,
    taskQueue: h.taskQueue,
    databaseUrl: h.databaseUrl,
    configPath: h.configPath,
    backupDir: backupFs.dir,
    dataDir: h.dir,
    logFile: path.join(h.dir, 'worker.log'),
    env: { CONFIG_BACKUP_DIR: configFs.dir, CONFIG_FILES_TO_BACKUP: path.join(confDir, '*.yaml'), CONFIG_ENV_PREFIX: undefined },
  });
  await worker.ready;
});

afterAll(async () => {
  await worker?.stop(5_000);
  // Unmounted whatever happened above, before the harness removes the directory they are mounted in.
  await backupFs?.unmount().catch((error) => console.error(`unmount ${backupFs?.dir}: ${String(error)}`));
  await configFs?.unmount().catch((error) => console.error(`unmount ${configFs?.dir}: ${String(error)}`));
  await bigDb?.drop();
  await h?.close();
});

const backup = (target: string): Promise<PreBackupResult> =>
  h.client.workflow.execute('preBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(target, `${new Date().toISOString()}-disk`),
    args: [{ target }],
  });
const configBackup = (): Promise<ConfigBackupResult> =>
  h.client.workflow.execute('configBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: configBackupWorkflowId(`${new Date().toISOString()}-disk`),
    args: [{}],
  });

describe('the backup filesystem fills up', () => {
  it('pre-backup: a dump that does not fit is recorded as failed (no space), leaves nothing behind, earlier dumps still verify', async () => {
    console.log(`[faults] disk full: BACKUP_DIR and CONFIG_BACKUP_DIR on ${backupFs!.kind}`);
    const earlier = await backup('small-db');
    expect(earlier.backup?.status).toBe('completed');
    const earlierPath = earlier.backup!.path!;
    const freeBefore = await backupFs!.freeBytes();
    expect(freeBefore).toBeLessThan(BACKUP_FS_BYTES);

    const failed = await backup('big-db');
    expect(failed.decision).toBe('proceed');
    expect(failed.backup).toMatchObject({ status: 'failed', sizeBytes: null });
    expect(failed.backup!.error).toMatch(/^pg_dump exited with code 1: [\s\S]*could not write to output file: No space left on device/);
    const row = await h.pool.query(`SELECT status, error_message, artifact_path FROM backup_runs WHERE target = 'big-db'`);
    expect(row.rows).toEqual([{ status: 'failed', error_message: failed.backup!.error, artifact_path: null }]);
    const alerts = await h.pool.query(`SELECT kind, severity, message FROM alerts WHERE target = 'big-db'`);
    expect(alerts.rows).toEqual([{ kind: 'backup-failed', severity: 'critical', message: `big-db: backup failed: ${failed.backup!.error}` }]);

    // Nothing partial left and the space given back; the earlier dump is intact: same checksum as recorded, restorable.
    expect(await filesBelow(backupFs!.dir)).toEqual([path.relative(backupFs!.dir, earlierPath)]);
    expect(await backupFs!.freeBytes()).toBe(freeBefore);
    const recorded = await h.pool.query(`SELECT artifact_sha256 FROM backup_runs WHERE artifact_path = $1`, [earlierPath]);
    expect(recorded.rows).toEqual([{ artifact_sha256: earlier.backup!.sha256 }]);
    expect(await sha256File(earlierPath)).toBe(earlier.backup!.sha256);
    expect(execFileSync('pg_restore', ['--list', earlierPath], { encoding: 'utf8' })).toContain('TABLE public backup_runs');

    // Not sticky: the next dump that fits succeeds.
    const next = await backup('small-db');
    expect(next.backup?.status).toBe('completed');
    expect(await sha256File(next.backup!.path!)).toBe(next.backup!.sha256);
  }, 240_000);

  it('config backup: payloads that do not fit fail with ENOSPC per item, no temp files remain, earlier backups verify', async () => {
    const keyring = Keyring.fromSpec(process.env.CONFIG_BACKUP_KEY!);
    const store = new PayloadStore(configFs!.dir);
    const first = await configBackup();
    expect(first.totals).toMatchObject({ backedUp: CONFIG_FILES, failed: 0 });
    const originals = new Map(await Promise.all(first.items.map(async (item) => [item.name, await readFile(item.name)] as const)));

    // Something else fills the disk until 16 KiB are left; every file grows to 64 KiB of new content.
    const filler = path.join(configFs!.dir, 'filler.bin');
    await writeFile(filler, Buffer.alloc((await configFs!.freeBytes()) - 16 * 1024, 1));
    const freeFull = await configFs!.freeBytes();
    for (let i = 0; i < CONFIG_FILES; i++)
      await writeFile(path.join(confDir, `app-${i}.yaml`), `app: ${i}\nport: ${8000 + i}\nnotes: |\n${`  ${'x'.repeat(62)}\n`.repeat(1024)}`);
    const full = await configBackup();
    expect(full.totals).toMatchObject({ backedUp: 0, failed: CONFIG_FILES });
    // The run's payloads go into one pack at the batch's flush: it does not fit, so every item it held fails.
    for (const item of full.items) {
      expect(item.status).toBe('failed');
      expect(item.reason).toBe(`${item.name}: making the payload durable failed (ENOSPC)`);
    }
    const rows = await h.pool.query('SELECT status, failure_reason FROM config_backup_items WHERE set_id = $1 ORDER BY item_name', [full.setId]);
    expect(rows.rows.map((r) => r.failure_reason)).toEqual(full.items.map((i) => i.reason).sort());
    const alert = await h.pool.query(`SELECT severity, message FROM alerts WHERE kind = 'config-backup-failures' AND workflow_id = $1`, [full.workflowId]);
    expect(alert.rows).toEqual([{ severity: 'warning', message: expect.stringMatching(/^configuration backup: 5 item\(s\) failed: file /) }]);

    // No temp file left behind, the space given back, and every earlier payload still authenticates (CLI and API).
    expect((await filesBelow(configFs!.dir)).filter((f) => f !== 'filler.bin' && !/^packs\/[0-9a-f]{32}\.pack$/.test(f))).toEqual([]);
    expect(await configFs!.freeBytes()).toBe(freeFull);
    const verify = await runCli(['config', 'verify', '--json'], {
      DATABASE_URL: h.databaseUrl,
      CONFIG_BACKUP_DIR: configFs!.dir,
      TEMPORAL_ADDRESS: h.temporalAddress,
      SENTINEL_DATA_DIR: h.dir,
    });
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, payloadsChecked: CONFIG_FILES, failures: [], orphans: [] });
    const target = path.join(h.dir, 'restored');
    for (const item of first.items) {
      const report = await restoreItem(keyring, store, (await getItem(h.pool, item.id!))!, { to: target });
      expect(await readFile(report.path)).toEqual(originals.get(item.name));
    }

    // Space freed: the next run backs the new content up.
    await rm(filler);
    const after = await configBackup();
    expect(after.totals).toMatchObject({ backedUp: CONFIG_FILES, failed: 0 });
  }, 240_000);
});
