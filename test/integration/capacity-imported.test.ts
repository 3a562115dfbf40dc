/**
 * Issue #11 item 12: after the demo's history import, `sentinel forecast --target demo-payments-db` said
 * "capacity 16298 GB: full in 0.5 days": the imported synthetic sizes (terabytes, no artifacts) counted as stored
 * on BACKUP_DIR's disk. Here BACKUP_DIR is a real 64 MiB filesystem; only backups whose artifact lies there count.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { importDemoHistory, prepareDemo, DEMO_HIGH_RISK_TARGET } from '../../scripts/demo.js';
import { runCli } from '../helpers/cli.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { mountSmallFilesystem, type SmallFilesystem } from '../helpers/small-fs.js';

const DAY = 86_400_000;
let h: Harness;
let fs: SmallFilesystem;
let env: Record<string, string>;

beforeAll(async () => {
  h = await createHarness('capacity-imported');
  fs = await mountSmallFilesystem(path.join(h.dir, 'small-backups'), 64 * 1024 * 1024);
  const demo = await prepareDemo(h.dir, {});
  const rows = await importDemoHistory({ dataDir: h.dir, databaseUrl: h.databaseUrl });
  expect(rows).toBeGreaterThan(1000);
  env = { TEMPORAL_ADDRESS: h.temporalAddress, DATABASE_URL: h.databaseUrl, SENTINEL_CONFIG: demo.configPath, SENTINEL_DATA_DIR: h.dir, BACKUP_DIR: fs.dir };
}, 120_000);

afterAll(async () => {
  await fs?.unmount();
  await h?.close();
});

const forecast = async () => {
  const run = await runCli(['forecast', '--target', DEMO_HIGH_RISK_TARGET, '--days', '30', '--json'], env);
  return { run, result: run.code === 0 ? JSON.parse(run.stdout) : null };
};

describe('capacity forecast after importing history', () => {
  it('does not count imported runs as usage of the local backup disk: no false "full in <1 day"', async () => {
    const imported = await h.pool.query(`SELECT sum(size_bytes)::float8 / 1e9 AS gb FROM backup_runs WHERE target = $1 AND status = 'completed'`, [
      DEMO_HIGH_RISK_TARGET,
    ]);
    expect(imported.rows[0].gb).toBeGreaterThan(1000); // terabytes of synthetic sizes on a 64 MiB disk
    const { run, result } = await forecast();
    expect(run.stdout).not.toMatch(/full in 0\.\d+ days/);
    if (result) {
      expect(result.capacitySource).not.toBe('filesystem');
      expect(result.series).not.toBe('retained-backups');
      expect(result.daysUntilFull?.point ?? Infinity).toBeGreaterThanOrEqual(1);
    }
    const human = await runCli(['forecast', '--target', DEMO_HIGH_RISK_TARGET, '--days', '30'], env);
    expect(human.stdout).not.toMatch(/full in 0\.\d+ days/);
  });

  it('counts the backups stored in BACKUP_DIR (and only those still there)', async () => {
    const today = Math.floor(Date.now() / DAY) * DAY;
    const dir = path.join(fs.dir, DEMO_HIGH_RISK_TARGET);
    await mkdir(dir, { recursive: true });
    for (let d = 6; d >= 1; d--) {
      const artifactPath = path.join(dir, `local-${d}.tar.gz`);
      await writeFile(artifactPath, Buffer.alloc(1024 * 1024));
      await insertBackupRun(h.pool, {
        backupId: `local-${d}`,
        target: DEMO_HIGH_RISK_TARGET,
        startedAt: new Date(today - d * DAY + 3_600_000),
        endedAt: null,
        status: 'completed',
        durationSeconds: 2,
        sizeBytes: 1024 * 1024,
        artifactPath,
        source: 'sentinel',
      });
    }
    // An artifact outside BACKUP_DIR and one that was pruned: neither is on this disk.
    await insertBackupRun(h.pool, {
      backupId: 'elsewhere',
      target: DEMO_HIGH_RISK_TARGET,
      startedAt: new Date(today - 2 * DAY),
      endedAt: null,
      status: 'completed',
      durationSeconds: 2,
      sizeBytes: 5e9,
      artifactPath: '/srv/other/x.tar.gz',
      source: 'sentinel',
    });
    await rm(path.join(dir, 'local-6.tar.gz'));

    const { run, result } = await forecast();
    expect(run.code, run.stderr).toBe(0);
    expect(result).toMatchObject({ series: 'retained-backups', capacitySource: 'filesystem' });
    expect(result.lastValueGb * 1e9).toBeCloseTo(5 * 1024 * 1024, -3);
    // The capacity is what is stored here plus the free space: tens of MB, not terabytes.
    expect(result.capacityGb).toBeLessThan(0.1);
  });
});
