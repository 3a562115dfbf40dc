import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, Connection, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { sha256File } from '../../activities/backup/postgres.js';
import { writeHistoryFile } from '../../capabilities/history/history-file.js';
import { importHistoryFile } from '../../capabilities/history/history-import.js';
import { configBackupWorkflowId, type ConfigBackupResult } from '../../domain/config-backup/contract.js';
import { generateHistory } from '../../domain/ml/synthetic-history.js';
import { trainModelWorkflowId, type TrainModelResult } from '../../domain/models/contract.js';
import { type PreBackupInput, type PreBackupResult, preBackupWorkflowId } from '../../domain/pre-backup/contract.js';
import { parseSettings } from '../../domain/settings/schema.js';
import { declaredSchedules } from '../../schedules/index.js';
import { clusterControl } from '../../scripts/cluster/control.js';
import { configBackupWorkflow } from '../../workflows/config-backup.js';
import { trainFailureModelWorkflow } from '../../workflows/models.js';
import { decideUpdate, preBackupWorkflow, stateQuery } from '../../workflows/pre-backup.js';
import { runCli } from '../helpers/cli.js';
import { connectClusterClient } from '../helpers/cluster.js';
import { activityStarts, dumpNameFor, filesBelow, startedActivity, timers, workflowTaskIdentities } from '../helpers/faults.js';
import { eventually } from '../helpers/harness.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../helpers/test-database.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// Everything a user runs, on the production topology: the Temporal server on PostgreSQL with mTLS required, two
// worker processes on one task queue that reach it only through TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
// TEMPORAL_TLS_* (as a user would set them), the `sentinel` CLI with the same variables; then the server process
// SIGKILLed mid-run and started again on its databases.
const cluster = inject('cluster');
const RISKY = { successRate: 0.2, recentFailures: 4 }; // forces a critical risk from the rules (as in pre-backup.test.ts)
const TIMEZONE = 'UTC';

let db: IsolatedDatabase;
let dir: string;
let configPath: string;
let backupDir: string;
let confDir: string;
let storeDir: string;
let client: Client;
let connection: Connection;
let proxy: TcpProxy;
const taskQueue = `cluster-${Date.now()}`;
const workers: WorkerProcess[] = [];

const settings = {
  timezone: TIMEZONE,
  targets: [
    { name: 'orders-db', kind: 'postgres', url: '', policy: 'delay' },
    { name: 'payments-db', kind: 'postgres', url: '', policy: 'manual' },
    { name: 'restart-dump', kind: 'postgres', url: '', policy: 'delay' },
    { name: 'restart-delay', kind: 'postgres', url: '', policy: 'delay', delayMinutes: 0.5, maxDelays: 1 },
    { name: 'restart-approval', kind: 'postgres', url: '', policy: 'manual' },
  ],
};

beforeAll(async () => {
  db = await createIsolatedDatabase('cluster');
  dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-cluster-files-'));
  configPath = path.join(dir, 'sentinel.yaml');
  backupDir = path.join(dir, 'backups');
  confDir = path.join(dir, 'conf');
  storeDir = path.join(dir, 'config-store');
  await mkdir(backupDir, { recursive: true });
  await mkdir(confDir, { recursive: true });
  for (let i = 0; i < 20; i++) await writeFile(path.join(confDir, `svc-${i}.yaml`), `service:\n  name: svc-${i}\n  replicas: ${i % 3}\n`);
  // The `restart-dump` target's pg_dump goes through a proxy that can stall it: a dump in flight across the crash.
  const pgUrl = new URL(db.url);
  proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  for (const target of settings.targets) target.url = target.name === 'restart-dump' ? proxy.rewrite(db.url) : db.url;
  await writeFile(configPath, stringify(settings));
  ({ client, connection } = await connectClusterClient());
  for (const name of ['worker-a', 'worker-b']) {
    workers.push(
      spawnWorkerProcess({
        name,
        temporalAddress: cluster.address,
        taskQueue,
        databaseUrl: db.url,
        configPath,
        backupDir,
        dataDir: dir,
        logFile: path.join(dir, `${name}.log`),
        env: { ...cluster.clientEnv, CONFIG_BACKUP_DIR: storeDir, CONFIG_FILES_TO_BACKUP: path.join(confDir, '*.yaml'), CONFIG_ENV_PREFIX: undefined },
        readyTimeoutMs: 180_000,
      }),
    );
  }
  await Promise.all(workers.map((w) => w.ready));
});

afterAll(async () => {
  for await (const s of client?.schedule.list() ?? []) if (s.scheduleId.startsWith('sentinel/')) await client.schedule.getHandle(s.scheduleId).delete();
  for (const w of workers) await w.stop(5_000);
  await connection?.close().catch(() => undefined);
  await proxy?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

const startPreBackup = (input: PreBackupInput) =>
  client.workflow.start(preBackupWorkflow, {
    taskQueue,
    workflowId: preBackupWorkflowId(input.target, `${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`),
    args: [input],
  });
const phaseOf = async (handle: WorkflowHandleWithFirstExecutionRunId) => (await handle.query(stateQuery)).phase;
const identityOf = (worker: WorkerProcess) => `${worker.pid}@${os.hostname()}`;

/** One finished run: one backup_runs row, exactly one dump file (no partial) that matches its checksum and restores. */
async function expectOneArtifactAndRow(handle: WorkflowHandleWithFirstExecutionRunId, result: PreBackupResult, target: string): Promise<void> {
  expect(result.backup?.status).toBe('completed');
  const name = `${dumpNameFor(handle.workflowId, handle.firstExecutionRunId)}.dump`;
  const artifact = path.join(backupDir, target, name);
  expect(await filesBelow(path.join(backupDir, target))).toEqual([name]);
  expect(result.backup!.path).toBe(artifact);
  expect(await sha256File(artifact)).toBe(result.backup!.sha256);
  expect(execFileSync('pg_restore', ['--list', artifact], { encoding: 'utf8' })).toContain('TABLE public backup_runs');
  const rows = await db.pool.query('SELECT status, decision, artifact_path FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
  expect(rows.rows).toEqual([{ status: 'completed', decision: result.decision, artifact_path: artifact }]);
}

const handles: WorkflowHandleWithFirstExecutionRunId[] = [];

describe('the production topology (Temporal server on PostgreSQL, mTLS required, two worker processes)', () => {
  it('pre-backup gate: proceeds with a restorable dump; a manual-policy target waits and is approved', async () => {
    const proceed = await startPreBackup({ target: 'orders-db' });
    const manual = await startPreBackup({ target: 'payments-db', context: RISKY });
    handles.push(proceed, manual);
    await eventually(async () => (await phaseOf(manual)) === 'awaiting-approval', 120_000);
    const state = await manual.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'oncall', reason: 'cluster test' }] });
    expect(state.approval).toEqual({ decision: 'approved', by: 'oncall', reason: 'cluster test' });
    const [proceeded, approved] = await Promise.all([proceed.result(), manual.result()]);
    expect(proceeded).toMatchObject({ decision: 'proceed', backup: { status: 'completed' } });
    expect(approved).toMatchObject({ decision: 'approved', approval: { by: 'oncall' }, backup: { status: 'completed' } });
    await expectOneArtifactAndRow(proceed, proceeded, 'orders-db');
    await expectOneArtifactAndRow(manual, approved, 'payments-db');
  });

  it('config backup: every file backed up, the set completed', async () => {
    const handle = await client.workflow.start(configBackupWorkflow, {
      taskQueue,
      workflowId: configBackupWorkflowId(`${new Date().toISOString()}-cluster`),
      args: [{}],
    });
    handles.push(handle);
    const result: ConfigBackupResult = await handle.result();
    expect(result.totals).toMatchObject({ backedUp: 20, failed: 0 });
    const set = await db.pool.query('SELECT status FROM config_backup_sets WHERE id = $1', [result.setId]);
    expect(set.rows).toEqual([{ status: 'completed' }]);
  });

  it('`sentinel schedules apply` over mTLS creates every declared schedule; a second apply changes nothing', async () => {
    const env = { ...cluster.clientEnv, SENTINEL_CONFIG: configPath, SENTINEL_TASK_QUEUE: taskQueue, DATABASE_URL: db.url };
    const declared = declaredSchedules({ config: parseSettings(settings), timezone: TIMEZONE }).map((d) => d.id);
    const first = await runCli(['schedules', 'apply', '--json'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).created.sort()).toEqual([...declared].sort());
    const second = await runCli(['schedules', 'apply', '--json'], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: [], updated: [], deleted: [] });
    expect(JSON.parse(second.stdout).unchanged.sort()).toEqual([...declared].sort());
    for (const id of declared) {
      const description = await client.schedule.getHandle(id).describe();
      expect(description.action.type === 'startWorkflow' && description.action.taskQueue).toBe(taskQueue);
      expect(description.info.nextActionTimes.length).toBeGreaterThan(0);
    }
  });

  it('the server SIGKILLed and restarted mid-run: a dump, a delay timer, an approval wait and a training run each finish exactly once', async () => {
    const historyFile = path.join(dir, 'history.csv');
    await writeHistoryFile(historyFile, generateHistory({ targets: 6, days: 7, seed: 11, start: new Date('2026-01-01T00:00:00Z') }));
    await importHistoryFile(db.pool, historyFile);
    const control = clusterControl(cluster.controlUrl);
    const serverPid = await control.pid();
    expect(serverPid).toBeGreaterThan(0);

    // ml-random-forest trains in quadratic time: ~800 rows keep the heartbeating activity busy across the kill.
    const training = await client.workflow.start(trainFailureModelWorkflow, {
      taskQueue,
      workflowId: trainModelWorkflowId(`${new Date().toISOString()}-cluster`),
      args: [{ algorithm: 'ml-random-forest', params: { nTrees: 50, seed: 3 } }],
    });
    const delay = await startPreBackup({ target: 'restart-delay', context: RISKY });
    const approval = await startPreBackup({ target: 'restart-approval', context: RISKY });
    proxy.stallAfter(8192);
    const dump = await startPreBackup({ target: 'restart-dump' });
    handles.push(training, delay, approval, dump);

    // Mid-run, from evidence: training is running, pg_dump is running (stalled on the proxy), the delay's timer is
    // pending, the approval is waited for.
    await eventually(async () => (await phaseOf(delay)) === 'delaying' && (await phaseOf(approval)) === 'awaiting-approval', 120_000);
    await eventually(() => startedActivity(training, 'trainModelCandidate'), 120_000, 100);
    await eventually(async () => (await startedActivity(dump, 'runBackup')) && proxy.stats().stalled >= 1, 120_000, 100);
    const [pendingTimer] = await timers(delay);
    expect(pendingTimer!.firedAt).toBeNaN();

    const killedAt = Date.now();
    expect(await control.kill()).toBe(serverPid);
    expect(await control.pid()).toBeNull();
    const trainingRun = `${training.workflowId}#${training.firstExecutionRunId}`;
    // Nothing stored yet for the training run and no row for the dump: the crash landed while both were working.
    expect((await db.pool.query('SELECT version FROM ml_models WHERE training_run = $1', [trainingRun])).rows).toEqual([]);
    expect((await db.pool.query('SELECT 1 FROM backup_runs WHERE workflow_id = $1', [dump.workflowId])).rows).toEqual([]);
    proxy.stallAfter(null);
    proxy.release(); // the dump finishes while the server is down; its result is reported once it is back
    await new Promise((r) => setTimeout(r, 5_000)); // down for a while: workers and clients see it gone
    await control.restart();
    const restartedAt = Date.now();
    expect(await control.pid()).not.toBe(serverPid);

    // The approval wait survived the crash; the decision reaches it through the restarted server.
    await eventually(async () => (await phaseOf(approval)) === 'awaiting-approval', 180_000);
    await approval.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'oncall', reason: 'after the server crash' }] });
    // After its timer the delayed run re-predicts: it proceeds, or (still critical) escalates to an approval.
    const delayed = await eventually(async () => {
      const phase = await phaseOf(delay);
      if (phase === 'awaiting-approval') await delay.executeUpdate(decideUpdate, { args: [{ decision: 'approve', by: 'oncall' }] });
      return phase === 'done' || phase === 'awaiting-approval' || phase === 'backing-up' || phase === 'recording' ? phase : undefined;
    }, 180_000);
    expect(delayed).toBeTruthy();

    const [dumpResult, delayResult, approvalResult] = (await Promise.all([dump.result(), delay.result(), approval.result()])) as PreBackupResult[];
    const trainingResult: TrainModelResult = await training.result();
    const recoveredMs = Date.now() - restartedAt;
    expect(dumpResult!.decision).toBe('proceed');
    expect(['proceed', 'approved']).toContain(delayResult!.decision);
    expect(delayResult!.delays).toBe(1);
    expect(approvalResult).toMatchObject({ decision: 'approved', approval: { by: 'oncall', reason: 'after the server crash' } });
    await expectOneArtifactAndRow(dump, dumpResult!, 'restart-dump');
    await expectOneArtifactAndRow(delay, delayResult!, 'restart-delay');
    await expectOneArtifactAndRow(approval, approvalResult!, 'restart-approval');
    const [firedTimer] = await timers(delay);
    expect(firedTimer!.firedAt).toBeGreaterThan(killedAt);

    expect(['promoted', 'kept-candidate']).toContain(trainingResult.outcome);
    const models = await db.pool.query('SELECT version FROM ml_models WHERE training_run = $1', [trainingRun]);
    expect(models.rows).toEqual([{ version: trainingResult.version }]);
    const trained = await db.pool.query(`SELECT count(*)::int AS n FROM model_audit WHERE event = 'trained' AND model_version = $1`, [trainingResult.version]);
    expect(trained.rows[0].n).toBe(1);

    // Both worker processes rode out the crash without a restart, and both did work on the shared task queue.
    for (const w of workers) expect(w.hasExited()).toBe(false);
    const identities = new Set<string>();
    for (const handle of handles) {
      for (const identity of await workflowTaskIdentities(handle)) identities.add(identity);
      for (const start of await activityStarts(handle)) identities.add(start.identity);
    }
    expect([...identities].sort()).toEqual(workers.map(identityOf).sort());
    // Every pre-backup run of this file: one row each, none twice.
    const perRun = await db.pool.query(`SELECT workflow_id, count(*)::int AS n FROM backup_runs WHERE source = 'sentinel' GROUP BY workflow_id`);
    expect(perRun.rows.every((r: { n: number }) => r.n === 1)).toBe(true);
    expect(perRun.rows.map((r: { workflow_id: string }) => r.workflow_id).sort()).toEqual(
      [handles[0], handles[1], delay, approval, dump].map((h) => h!.workflowId).sort(),
    );
    const attempts = async (handle: WorkflowHandleWithFirstExecutionRunId, type: string) =>
      (await activityStarts(handle, type)).map((s) => s.attempt).join(',');
    console.log(
      `[cluster] server SIGKILL: in-flight runs finished ${Math.round(recoveredMs / 1000)} s after the restart (down ${Math.round((restartedAt - killedAt) / 1000)} s incl. start-up); ` +
        `runBackup attempt(s) ${await attempts(dump, 'runBackup')}, trainModelCandidate attempt(s) ${await attempts(training, 'trainModelCandidate')}`,
    );
  });
});
