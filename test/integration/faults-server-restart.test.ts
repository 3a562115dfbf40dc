import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { insertBackupRun } from '../../db/repositories/backup-runs.js';
import { preBackupWorkflowId, type PreBackupInput, type PreBackupResult, type PreBackupState } from '../../domain/pre-backup/contract.js';
import { freePort, startDevServer, type DevServer } from '../../platform/dev-server.js';
import { sentinelDataConverter } from '../../platform/temporal.js';
import { timers, workflowTaskIdentities } from '../helpers/faults.js';
import { createHarness, eventually, type Harness } from '../helpers/harness.js';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process.js';

// The Temporal dev server of this file, not the shared one: it is stopped and started again on the same SQLite file
// and port while a timer, an approval wait and a schedule are in flight.
const RISKY = { successRate: 0.2, recentFailures: 4 };
const DOWN_MS = 15_000;

let h: Harness;
let server: DevServer | undefined;
let port: number;
let dbFile: string;
let connection: Connection;
let client: Client;
let worker: WorkerProcess;
const scheduleId = `faults-restart-${Date.now()}`;

const start = (taskQueue: string, input: PreBackupInput) =>
  client.workflow.start('preBackupWorkflow', {
    taskQueue,
    workflowId: preBackupWorkflowId(input.target, `${new Date().toISOString()}-restart`),
    args: [input],
  });

beforeAll(async () => {
  h = await createHarness('faults-restart');
  await mkdir(h.backupDir, { recursive: true });
  port = await freePort();
  dbFile = path.join(h.dir, 'temporal.db');
  server = await startDevServer({ headless: true, port, dbFile });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection, dataConverter: sentinelDataConverter() });
  await writeFile(
    h.configPath,
    stringify({
      targets: [
        { name: 'restart-delay', kind: 'command', command: 'true', policy: 'delay', delayMinutes: 0.5, maxDelays: 3 },
        { name: 'restart-approval', kind: 'command', command: 'true', policy: 'manual' },
        { name: 'restart-scheduled', kind: 'command', command: 'true', policy: 'delay' },
      ],
    }),
  );
  worker = spawnWorkerProcess({
    name: 'restart-worker',
    temporalAddress: server.address,
    taskQueue: h.taskQueue,
    databaseUrl: h.databaseUrl,
    configPath: h.configPath,
    backupDir: h.backupDir,
    dataDir: h.dir,
    logFile: path.join(h.dir, 'worker.log'),
  });
  await worker.ready;
});

afterAll(async () => {
  await client?.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await worker?.stop(5_000);
  await connection?.close().catch(() => undefined);
  await server?.stop();
  await h?.close();
});

describe('the Temporal server stopped and restarted on the same database file', () => {
  it('in-flight runs resume, the same worker reconnects, and the schedule fires again', async () => {
    const taskQueue = h.taskQueue;
    // Eight recent failures make the rules delay this target; the history is fixed while the server is down.
    const now = Date.now();
    for (let i = 0; i < 8; i++)
      await insertBackupRun(h.pool, {
        backupId: `restart-fail-${i}`,
        target: 'restart-delay',
        startedAt: new Date(now - (10 - i) * 3_600_000),
        endedAt: null,
        status: 'failed',
        durationSeconds: 60,
        sizeBytes: 0,
        source: 'import',
      });

    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: '10s' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'preBackupWorkflow',
        taskQueue,
        workflowId: 'pre-backup/restart-scheduled',
        args: [{ target: 'restart-scheduled' }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    const delayed = await start(taskQueue, { target: 'restart-delay' });
    const waiting = await start(taskQueue, { target: 'restart-approval', context: RISKY });
    await eventually(async () => (await delayed.query<PreBackupState>('state')).phase === 'delaying', 60_000);
    await eventually(async () => (await waiting.query<PreBackupState>('state')).phase === 'awaiting-approval', 60_000);
    const firedBefore = await eventually(async () => {
      const { info } = await client.schedule.getHandle(scheduleId).describe();
      return info.recentActions.length >= 1 ? info.recentActions : undefined;
    }, 60_000);
    const [timer] = await timers(delayed);
    expect(timer!.firedAt).toBeNaN();

    // Stop (SIGTERM, waited for), stay down, and start again on the same file and port.
    const stoppedAt = Date.now();
    await server!.stop();
    expect(server!.process.exitCode !== null || server!.process.signalCode !== null).toBe(true);
    for (let i = 0; i < 20; i++)
      await insertBackupRun(h.pool, {
        backupId: `restart-ok-${i}`,
        target: 'restart-delay',
        startedAt: new Date(now - (60 - i) * 60_000),
        endedAt: null,
        status: 'completed',
        durationSeconds: 30,
        sizeBytes: 1000,
        source: 'import',
      });
    await new Promise((r) => setTimeout(r, Math.max(0, DOWN_MS - (Date.now() - stoppedAt))));
    server = await startDevServer({ headless: true, port, dbFile });
    const restartedAt = Date.now();

    // The run waiting for approval is still waiting; the decision goes to the same worker process.
    await eventually(async () => (await waiting.query<PreBackupState>('state')).phase === 'awaiting-approval', 120_000);
    await waiting.signal('approve', { by: 'oncall', reason: 'after the server restart' });
    const [delayResult, approvalResult] = (await Promise.all([delayed.result(), waiting.result()])) as PreBackupResult[];
    const resumedMs = Date.now() - restartedAt;
    expect(delayResult).toMatchObject({ decision: 'proceed', delays: 1, backup: { status: 'completed' } });
    expect(approvalResult).toMatchObject({ decision: 'approved', approval: { by: 'oncall' }, backup: { status: 'completed' } });
    const [fired] = await timers(delayed);
    expect(fired!.firedAt).toBeGreaterThan(stoppedAt);
    for (const handle of [delayed, waiting]) {
      const rows = await h.pool.query('SELECT status, decision FROM backup_runs WHERE workflow_id = $1', [handle.workflowId]);
      expect(rows.rows).toEqual([{ status: 'completed', decision: handle === delayed ? 'proceed' : 'approved' }]);
      expect(new Set(await workflowTaskIdentities(handle, restartedAt))).toEqual(new Set([`${worker.pid}@${os.hostname()}`]));
    }

    // The schedule survived in the file and fires again: an action scheduled after the restart, run to the end.
    const after = await eventually(async () => {
      const { info } = await client.schedule.getHandle(scheduleId).describe();
      return info.recentActions.find((a) => a.scheduledAt.getTime() > restartedAt && a.takenAt.getTime() > restartedAt);
    }, 150_000); // observed 4-63 s: the server's scheduler sometimes needs about a minute to come back
    const scheduleMs = after.takenAt.getTime() - restartedAt;
    const scheduled: PreBackupResult = await client.workflow.getHandle(after.action.workflow.workflowId, after.action.workflow.firstExecutionRunId).result();
    expect(scheduled).toMatchObject({ decision: 'proceed', backup: { status: 'completed' } });
    const scheduledRows = await h.pool.query('SELECT status FROM backup_runs WHERE workflow_id = $1', [after.action.workflow.workflowId]);
    expect(scheduledRows.rows).toEqual([{ status: 'completed' }]);
    expect(firedBefore[0]!.takenAt.getTime()).toBeLessThan(stoppedAt);

    expect(worker.hasExited()).toBe(false);
    console.log(
      `[faults] server restart: down ${Math.round((restartedAt - stoppedAt) / 1000)} s (incl. start-up); in-flight runs done ${Math.round(resumedMs / 1000)} s and first scheduled action ${Math.round(scheduleMs / 1000)} s after the restart`,
    );
  }, 300_000);
});
