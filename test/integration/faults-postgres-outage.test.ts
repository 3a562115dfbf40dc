import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { backupIdFor } from '../../activities/records.js';
import { configBackupWorkflowId, type ConfigBackupResult } from '../../domain/config-backup/contract.js';
import { preBackupWorkflowId, type PreBackupResult, type PreBackupState } from '../../domain/pre-backup/contract.js';
import { activityStarts } from '../helpers/faults.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// PostgreSQL itself stays up (other tests use it): the worker reaches it through a proxy this test cuts.
const OUTAGE_MS = 30_000;

let h: Harness;
let proxy: TcpProxy;
let worker: WorkerProcess;
let lockHolder: pg.Client | undefined;
let confDir: string;

beforeAll(async () => {
  h = await createHarness('faults-pg');
  await mkdir(h.backupDir, { recursive: true });
  const pgUrl = new URL(h.databaseUrl);
  proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  await writeFile(
    h.configPath,
    stringify({
      targets: [
        { name: 'outage-locked', kind: 'command', command: 'true' },
        ...[1, 2, 3, 4].map((n) => ({ name: `outage-${n}`, kind: 'command', command: `sleep ${2 * n}` })),
        { name: 'outage-late', kind: 'command', command: 'true' },
      ],
    }),
  );
  confDir = path.join(h.dir, 'conf');
  await mkdir(confDir, { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(path.join(confDir, `app-${i}.yaml`), `app: ${i}\nreplicas: ${i % 3}\n`);
  worker = spawnWorkerProcess({
    name: 'outage-worker',
    temporalAddress: h.temporalAddress,
    taskQueue: h.taskQueue,
    databaseUrl: proxy.rewrite(h.databaseUrl),
    configPath: h.configPath,
    backupDir: h.backupDir,
    dataDir: h.dir,
    logFile: path.join(h.dir, 'worker.log'),
    env: { CONFIG_BACKUP_DIR: path.join(h.dir, 'config-store'), CONFIG_FILES_TO_BACKUP: path.join(confDir, '*.yaml'), CONFIG_ENV_PREFIX: undefined },
  });
  await worker.ready;
});

afterAll(async () => {
  await lockHolder?.end().catch(() => undefined);
  await worker?.stop(5_000);
  await proxy?.close();
  await h?.close();
});

const startRun = (target: string) =>
  h.client.workflow.start('preBackupWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: preBackupWorkflowId(target, `${new Date().toISOString()}-outage`),
    args: [{ target }],
  });

describe('PostgreSQL unreachable for 30 s in the middle of runs', () => {
  it('activities retry and complete afterwards; every run is recorded exactly once', async () => {
    // A transaction open at the moment of the cut, deterministically: this session holds the per-target incident
    // lock, so `outage-locked`'s anomaly check waits inside its transaction on a checked-out pool client.
    lockHolder = new pg.Client({ connectionString: h.databaseUrl });
    await lockHolder.connect();
    await lockHolder.query('BEGIN');
    await lockHolder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['anomaly-incidents:outage-locked']);

    const early: WorkflowHandleWithFirstExecutionRunId[] = [await startRun('outage-locked')];
    for (const n of [1, 2, 3, 4]) early.push(await startRun(`outage-${n}`));
    await eventually(async () => {
      const waiting = await h.pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'`,
      );
      const phases = await Promise.all(early.slice(1).map(async (handle) => (await handle.query<PreBackupState>('state')).phase));
      return waiting.rows[0].n === 1 && phases.filter((p) => p === 'backing-up').length >= 2;
    }, 60_000);

    const cutAt = Date.now();
    proxy.cut();
    const resetAtCut = proxy.stats().reset;
    expect(resetAtCut).toBeGreaterThan(0);
    // Runs and a configuration backup that begin while the database is unreachable.
    const late = [await startRun('outage-late'), await startRun('outage-late')];
    const config = await h.client.workflow.start('configBackupWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: configBackupWorkflowId(`${new Date().toISOString()}-outage`),
      args: [{}],
    });
    await lockHolder.query('COMMIT');
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
    expect(worker.hasExited(), `the worker died:\n${worker.log().slice(-3000)}`).toBe(false);
    expect(proxy.stats().refused).toBeGreaterThan(0);
    const acceptedBeforeRestore = proxy.stats().accepted;
    proxy.restore();
    const restoredAt = Date.now();

    const runs = [...early, ...late];
    const results = (await Promise.all(runs.map((handle) => handle.result()))) as PreBackupResult[];
    const configResult: ConfigBackupResult = await config.result();
    const recoveredMs = Date.now() - restoredAt;

    for (const [i, handle] of runs.entries()) {
      expect(results[i]).toMatchObject({ decision: 'proceed', backup: { status: 'completed' } });
      const rows = await h.pool.query('SELECT backup_id, status FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
      expect(rows.rows).toEqual([{ backup_id: backupIdFor(handle.workflowId, handle.firstExecutionRunId), status: 'completed' }]);
      const checks = await h.pool.query('SELECT count(*)::int AS n FROM anomaly_checks WHERE backup_id = $1', [rows.rows[0].backup_id]);
      expect(checks.rows[0].n).toBe(1);
    }
    // They got through by retrying: the anomaly check whose transaction was cut, the records of backups that ended
    // during the outage, and the configuration backup's first step.
    expect((await activityStarts(early[0]!, 'checkRunAnomalies'))[0]!.attempt).toBeGreaterThan(1);
    const recordAttempts = await Promise.all(early.slice(1).map(async (handle) => (await activityStarts(handle, 'recordBackupRun'))[0]!.attempt));
    expect(Math.max(...recordAttempts)).toBeGreaterThan(1);
    expect((await activityStarts(config, 'planConfigBackup'))[0]!.attempt).toBeGreaterThan(1);
    // Nothing else was recorded for these targets: no stray or duplicate rows.
    const all = await h.pool.query(`SELECT count(*)::int AS n FROM backup_runs WHERE target LIKE 'outage-%'`);
    expect(all.rows[0].n).toBe(runs.length);

    expect(configResult.totals).toMatchObject({ backedUp: 20, failed: 0 });
    const sets = await h.pool.query('SELECT status FROM config_backup_sets WHERE workflow_id = $1', [config.workflowId]);
    expect(sets.rows).toEqual([{ status: 'completed' }]);
    const items = await h.pool.query('SELECT count(*)::int AS n, count(DISTINCT item_name)::int AS names FROM config_backup_items WHERE set_id = $1', [
      configResult.setId,
    ]);
    expect(items.rows[0]).toEqual({ n: 20, names: 20 });

    // The worker lived through it: same process, pool reconnected through the restored proxy.
    expect(worker.hasExited(), `the worker died:\n${worker.log().slice(-3000)}`).toBe(false);
    expect(proxy.stats().accepted).toBeGreaterThan(acceptedBeforeRestore);
    console.log(
      `[faults] postgres outage ${Math.round((restoredAt - cutAt) / 1000)} s: ${resetAtCut} connection(s) reset, ${proxy.stats().refused} refused; all ${runs.length + 1} runs done ${Math.round(recoveredMs / 1000)} s after the restore (record attempts ${recordAttempts.join(', ')})`,
    );
  }, 300_000);
});
